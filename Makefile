# SPDX-License-Identifier: GPL-2.0
#
# For people; Kbuild is for kbuild. Every target is one short command.
#
#   make [module]      build ./iepoll.ko for KDIR
#   make module-debug  the same with -DDEBUG (pr_debug messages on)
#   make install       modules_install + depmod for KDIR's kernel
#   make dkms-install  copy the sources to /usr/src, dkms add, and dkms install
#                      for KDIR's kernel (later kernels: DKMS's autoinstall)
#   make style         checkpatch.pl --strict on every C source
#   make lint          style, plus sparse (C=2) and W=1 builds on every
#                      supported kernel: zero findings
#   make check         everything: lint, DKMS, selftests and KUnit in the VM
#   make demo          install what is missing, build, boot the VM, run the demo
#   make bench [KERNEL="stock backports"] [QUICK=1]
#                      select, poll, epoll, iepoll and io_uring side by side
#                      in the VM: .build/bench/<kernel>/ (scripts/bench)
#   make fuzz [DURATION=N] [KERNEL=debug]
#                      the fuzzers (tools/fuzz) in the VM, N seconds each
#                      (600), on the debug kernel by default (scripts/fuzz)
#   make clean
#   make -s print-dkms-sources
#                      what DKMS builds from: the files and directories
#                      dkms-install and scripts/dkms-check copy
#
# KDIR defaults to the running kernel's build directory, else to the newest
# /lib/modules/*/build. Under DKMS, KERNELRELEASE comes from the command line.

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KERNELRELEASE)/build) \
	$(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V)))
RELEASE = $(if $(filter /lib/modules/%/build,$(KDIR)),$(patsubst \
	/lib/modules/%/build,%,$(KDIR)),$(shell cat $(KDIR)/include/config/kernel.release))
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DESTDIR ?= /usr/src/iepoll-$(VERSION)
KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR)
DKMS_SOURCES := Kbuild Makefile dkms.conf module include kunit

module: kdir
	$(KBUILD) modules

module-debug: kdir
	$(KBUILD) KCFLAGS=-DDEBUG modules

install: module
	$(KBUILD) modules_install
	@if [ -e /lib/modules/$(RELEASE)/modules.order ]; then \
		echo "depmod -a $(RELEASE)"; depmod -a $(RELEASE); \
	else \
		echo "iepoll: kernel $(RELEASE) is not installed here: no depmod"; \
	fi

dkms-install: kdir
	@test "$(VERSION)" || { echo "iepoll: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	mkdir -p $(DESTDIR)
	cp -r $(DKMS_SOURCES) $(DESTDIR)/
	dkms add -m iepoll -v $(VERSION)
	dkms install -m iepoll -v $(VERSION) -k $(RELEASE)

style:
	scripts/lint --style

lint:
	scripts/lint

check:
	scripts/check

demo:
	scripts/demo

bench:
	scripts/bench $(if $(KERNEL),--kernel "$(KERNEL)") $(if $(QUICK),--quick)

fuzz:
	scripts/fuzz $(if $(DURATION),--duration $(DURATION)) \
		$(if $(KERNEL),--kernel $(KERNEL))

coverage:
	scripts/coverage

soak:
	scripts/fuzz --soak $(if $(DURATION),--duration $(DURATION)) \
		$(if $(KERNEL),--kernel $(KERNEL))

clean:
	$(if $(wildcard $(KDIR)/Makefile),$(KBUILD) clean)
	rm -rf .build

kdir:
	@test -f "$(KDIR)/Makefile" || { echo "iepoll: no kernel build directory" \
		"(KDIR=$(KDIR)); install headers, e.g. with scripts/deps" >&2; exit 1; }
	@echo "iepoll: building against KDIR=$(KDIR)$(if \
		$(wildcard /lib/modules/$(KERNELRELEASE)/build),, (no headers for \
		$(KERNELRELEASE), the running kernel))"

print-dkms-sources:
	@echo $(DKMS_SOURCES)

.PHONY: module module-debug install dkms-install style lint check demo bench fuzz soak coverage \
	clean kdir print-dkms-sources
