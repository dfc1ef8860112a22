# SPDX-License-Identifier: GPL-2.0
#
# For people; Kbuild is for kbuild. Every target is one short command;
# `make help` lists them (keep it in step with this header).
#
# KDIR defaults to the running kernel's build directory,
# /lib/modules/$(uname -r)/build; without it the build stops and says so:
# it never picks another kernel's headers (a module built for another
# kernel fails to load with "Invalid module format"). Pass KDIR=... for
# another kernel. PREFIX (/usr/local) and DESTDIR (a staging root, empty by
# default) work as everywhere else. The one version is dkms.conf's
# PACKAGE_VERSION: Kbuild, tools/version.mk, tools/iepoll-trace and
# debian/changelog (checked by scripts/deb-check) take it from there.

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
RELEASE = $(if $(filter /lib/modules/%/build,$(KDIR)),$(patsubst \
	/lib/modules/%/build,%,$(KDIR)),$(shell cat $(KDIR)/include/config/kernel.release))
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
PREFIX ?= /usr/local
DESTDIR ?=
DKMS ?= dkms
DKMS_SRC := $(DESTDIR)/usr/src/iepoll-$(VERSION)
KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR)
DKMS_SOURCES := Kbuild Makefile dkms.conf COPYING module include kunit

module: kdir
	$(KBUILD) modules

module-debug: kdir
	$(KBUILD) KCFLAGS=-DDEBUG modules

install: module-install tools-install

module-install: module
	$(KBUILD) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	@if [ -n "$(DESTDIR)" ]; then \
		echo "iepoll: staged in $(DESTDIR): no depmod"; \
	elif [ -e /lib/modules/$(RELEASE)/modules.order ]; then \
		echo "depmod -a $(RELEASE)"; depmod -a $(RELEASE); \
	else \
		echo "iepoll: kernel $(RELEASE) is not installed here: no depmod"; \
	fi

tools:
	$(MAKE) -C tools

tools-install:
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	$(MAKE) -C tools uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# WireGuard's way: copy only; DKMS itself is `make dkms`.
dkms-install: version
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -r $(DKMS_SOURCES) $(DKMS_SRC)/

# dkms-install, dkms add (once), build and install for KDIR's kernel:
# re-runnable. DKMS="dkms --dkmstree ..." and DESTDIR point it elsewhere.
dkms: dkms-install kdir
	$(DKMS) status -m iepoll -v $(VERSION) | grep -q . || \
		$(DKMS) add -m iepoll -v $(VERSION)
	$(DKMS) build -m iepoll -v $(VERSION) -k $(RELEASE) --force
	$(DKMS) install -m iepoll -v $(VERSION) -k $(RELEASE) --force

dkms-uninstall: version
	! $(DKMS) status -m iepoll -v $(VERSION) | grep -q . || \
		$(DKMS) remove -m iepoll -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

deb:
	scripts/deb

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
	$(MAKE) -C tools clean
	rm -rf .build

help:
	@echo 'make [module]        build ./iepoll.ko for KDIR (default: the running kernel)'
	@echo 'make module-debug    the same with -DDEBUG (pr_debug messages on)'
	@echo 'make install         module-install and tools-install'
	@echo 'make module-install  modules_install (INSTALL_MOD_PATH=DESTDIR), depmod'
	@echo 'make tools           the tools in tools/ (make -C tools)'
	@echo 'make tools-install   the tools and man pages into DESTDIR/PREFIX (/usr/local)'
	@echo 'make uninstall       remove what tools-install installed'
	@echo 'make dkms-install    copy the module sources to DESTDIR/usr/src/iepoll-VERSION'
	@echo 'make dkms            dkms add, build and install for KDIR'"'"'s kernel (re-runnable)'
	@echo 'make dkms-uninstall  dkms remove --all and the sources in /usr/src'
	@echo 'make deb             iepoll-dkms and iepoll-tools .debs in .build/deb (scripts/deb)'
	@echo 'make style           checkpatch.pl --strict on every C source'
	@echo 'make lint            style, sparse (C=2) and W=1 builds on every supported kernel'
	@echo 'make check           everything: lint, DKMS, packages, selftests, KUnit in VMs'
	@echo 'make demo            install what the demo needs, build, boot the VM, run the demo'
	@echo 'make bench [KERNEL="stock backports"] [QUICK=1]'
	@echo '                     select, poll, epoll, iepoll, io_uring in the VM (scripts/bench)'
	@echo 'make fuzz [DURATION=N] [KERNEL=debug]'
	@echo '                     the fuzzers in the VM, N seconds each (scripts/fuzz)'
	@echo 'make soak [DURATION=N] [KERNEL=debug]'
	@echo '                     every fuzzer and the stress test at once (scripts/fuzz --soak)'
	@echo 'make coverage        the lines of module/ the tests reach (scripts/coverage)'
	@echo 'make clean           remove the build products'
	@echo 'make -s print-dkms-sources'
	@echo '                     the files dkms-install and scripts/dkms-check copy'
	@echo 'make help            this list'

version:
	@test -n "$(VERSION)" || { echo "iepoll: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }

kdir:
	@test -f "$(KDIR)/Makefile" || { echo "iepoll: no kernel build directory at" \
		"$(KDIR)$(if $(filter command line environment,$(origin KDIR)),, (the running" \
		"kernel $(KERNELRELEASE)'s)): install its headers (apt-get install" \
		"linux-headers-$(KERNELRELEASE)) or pass KDIR=/path/to/kernel/build;" \
		"other kernels' headers are never picked silently" >&2; exit 1; }
	@echo "iepoll: building against KDIR=$(KDIR) ($(RELEASE))"

print-dkms-sources:
	@echo $(DKMS_SOURCES)

.PHONY: module module-debug install module-install tools tools-install uninstall \
	dkms-install dkms dkms-uninstall deb style lint check demo bench fuzz soak \
	coverage clean help version kdir print-dkms-sources
