# SPDX-License-Identifier: GPL-2.0
# The tools' --version: dkms.conf's PACKAGE_VERSION, the project's version,
# as IEPOLL_VERSION for lib/tool.c.  Included by every Makefile of tools/;
# tools/iepoll-trace reads the same line.

tools_dir := $(patsubst ./,,$(dir $(lastword $(MAKEFILE_LIST))))
IEPOLL_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' \
	$(tools_dir)../dkms.conf)
ifeq ($(IEPOLL_VERSION),)
$(error no PACKAGE_VERSION in $(tools_dir)../dkms.conf)
endif

TOOL_SRC := $(tools_dir)lib/tool.c
TOOL_DEPS := $(TOOL_SRC) $(tools_dir)lib/tool.h $(tools_dir)../dkms.conf
TOOL_CFLAGS := -DIEPOLL_VERSION='"$(IEPOLL_VERSION)"'
