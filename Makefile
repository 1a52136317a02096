# SPDX-License-Identifier: GPL-2.0
#
# m2mguard: the human targets. Kernel objects and their flags are in Kbuild.
#
#   make              the module, the BPF objects, m2mctl and the tests
#   make check        install what is missing, build, run every test lane
#   make demo         the demonstration in the VM
#   make bench-lookup the lookup benchmark (userspace build of kmod/rtable.c)
#   make bench-geo    loading and compiling the full Tor geo database
#   make deps         install the build and test dependencies
#   make install      on a gateway: DKMS, systemd (see the block at the end)
#   make clean
#
# KDIR=...  build the module against other kernel headers (default: those
#           of the Debian kernel the VM boots). V=1 shows the commands.

M2M_CACHE ?= /var/cache/m2mguard
VM_ABI := $(shell cat $(M2M_CACHE)/vm/abi 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(VM_ABI)
BUILD := build

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
MAKEFLAGS += --no-print-directory
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKGS := libmnl yaml-0.1 json-c libbpf libmaxminddb libcrypto

WERROR := $(if $(CI),-Werror)
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra $(WERROR) -Iinclude -Iinclude/uapi \
	-I$(BUILD) -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
KSFT_CFLAGS := -isystem $(M2M_CACHE)/kselftest

# Code shared by the module and userspace, and the body of m2mctl: one
# static library that m2mctl and the tests link.
SHARED_SRCS := kmod/rtable.c kmod/tables.c kmod/verdict.c
LIB_SRCS := $(filter-out ctl/m2mctl.c,$(wildcard ctl/*.c)) $(SHARED_SRCS)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libm2mctl.a
HDRS := $(wildcard include/*/*.h include/uapi/linux/*.h ctl/*.h)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
BPF_ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

UNIT_SRCS := $(wildcard selftests/unit/*_test.c)
UNIT_BINS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard selftests/bpf/*_test.c)
BPFT_BINS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(BPFT_SRCS))
TOOL_SRCS := $(wildcard selftests/tools/*.c)
TOOL_BINS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(TOOL_SRCS))

.PHONY: all module bpf ctl tests check demo deps bench-lookup bench-geo clean

all: module bpf ctl tests

deps:
	$(Q)scripts/install-deps

module:
	$(Q)[ -d "$(KDIR)" ] || { echo "no kernel headers at '$(KDIR)':" \
		"run 'make deps' or set KDIR" >&2; exit 1; }
	$(call msg,KMOD,m2mguard.ko)
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(V),V=$(V)) modules \
		$(if $(filter 1,$(V)),,>/dev/null)

bpf: $(BPF_OBJS) $(BPF_SKELS)

ctl: $(BUILD)/m2mctl $(BUILD)/m2mctl.8

tests: $(UNIT_BINS) $(BPFT_BINS) $(TOOL_BINS)

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(HDRS) $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) \
		-Wall $(WERROR) -I$(BUILD) -Iinclude -Iinclude/uapi -Ibpf \
		-c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/%.o: %.c $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# The built-in zones and the ISO 3166-1 list, generated from data/.
$(BUILD)/zones_data.c: scripts/gen-zones data/jurisdictions.tsv \
		data/iso3166.txt
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-zones data/jurisdictions.tsv data/iso3166.txt > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/ctl/zones.o: $(BUILD)/zones_data.c

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/m2mctl: $(BUILD)/ctl/m2mctl.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PKG_LIBS) -o $@

# The manual is made from the tool's own help, so the two always agree.
$(BUILD)/m2mctl.8: $(BUILD)/m2mctl scripts/gen-man
	$(call msg,GEN,$@)
	$(Q)scripts/gen-man $(BUILD)/m2mctl > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/selftests/unit/%: selftests/unit/%.c $(LIB) $(HDRS) \
		$(wildcard selftests/unit/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(KSFT_CFLAGS) -Ictl $< $(LIB) \
		$(PKG_LIBS) -o $@

# Small programs the module's tests drive it with (netlink, traffic).
$(BUILD)/selftests/tools/%: selftests/tools/%.c $(LIB) $(HDRS) \
		$(wildcard selftests/bpf/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $< $(LIB) $(PKG_LIBS) -o $@

$(BUILD)/bench_lookup: selftests/bench/bench_lookup.c kmod/rtable.c $(HDRS) \
		$(wildcard selftests/unit/*.h) selftests/bench/tor_addr.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O3 -march=native -Iselftests/unit $< kmod/rtable.c \
		-o $@

bench-lookup: $(BUILD)/bench_lookup
	$(Q)$(BUILD)/bench_lookup

$(BUILD)/bench_geo: selftests/bench/bench_geo.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

bench-geo: $(BUILD)/bench_geo $(BUILD)/m2mctl
	$(Q)$(BUILD)/bench_geo $(BUILD)/m2mctl examples/gateway.yaml

check:
	$(Q)scripts/check

demo:
	$(Q)scripts/demo

clean:
	$(Q)[ ! -d "$(KDIR)" ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null
	$(Q)rm -rf $(BUILD)

# ---- eBPF datapath: m2mctl's loader, the bpf lane's tests, bench-bpf ----

# m2mctl carries the BPF skeletons.
$(BUILD)/ctl/bpf.o: $(BPF_SKELS)

# The BPF tests load policies with m2mctl's own code.
BPFT_DEPS := $(BPF_SKELS) $(LIB) $(HDRS) $(wildcard selftests/bpf/*.h bpf/*.h)

$(BPFT_BINS): $(BUILD)/selftests/bpf/%: selftests/bpf/%.c $(BPFT_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(KSFT_CFLAGS) -I$(BUILD)/bpf $< \
		$(LIB) $(PKG_LIBS) -lpthread -o $@

$(BUILD)/bench_bpf: selftests/bench/bench_bpf.c $(BPFT_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -I$(BUILD)/bpf $< $(LIB) \
		$(PKG_LIBS) -o $@

.PHONY: bench-bpf
bench-bpf: $(BUILD)/bench_bpf
	$(Q)$(BUILD)/bench_bpf

# ---- make install, make uninstall: a gateway (docs/gateway.md) ----
#
#   make install [DESTDIR=...] [PREFIX=/usr]
#	m2mctl, the start script and its systemd unit, the BPF objects, the
#	manual, the examples and the default configuration (in /etc/m2mguard,
#	only where absent); the module's sources for DKMS in
#	/usr/src/m2mguard-VERSION, added to DKMS and built for the
#	running kernel when DESTDIR is empty and dkms is installed; or, with
#	KDIR given, the module built against KDIR in
#	/lib/modules/RELEASE/updates.
#   make uninstall [DESTDIR=...] [PREFIX=/usr]
#	all of that but /etc/m2mguard and /var/lib/m2mguard.

VERSION := $(shell sed -n 's/^\#define M2M_VERSION "\(.*\)"$$/\1/p' \
	kmod/m2mguard.h)
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
PKGLIBDIR ?= $(PREFIX)/lib/m2mguard
DOCDIR ?= $(PREFIX)/share/doc/m2mguard
MANDIR ?= $(PREFIX)/share/man
# Where DKMS looks, whatever the PREFIX.
DKMSDIR ?= /usr/src/m2mguard-$(VERSION)
UNITDIR ?= /lib/systemd/system
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/m2mguard
# KDIR on the command line or in the environment: install a built module.
KDIR_GIVEN := $(filter command environment,$(firstword $(origin KDIR)))
# The release KDIR builds for (Debian's kernel.release has no ABI suffix).
KREL ?= $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(shell uname -r))
DKMS_SRCS := Kbuild $(wildcard kmod/*.c kmod/*.h include/m2mguard/*.h \
	include/uapi/linux/*.h)
DKMS_ARGS := -m m2mguard -v $(VERSION)

.PHONY: install uninstall install-dkms install-module

install: ctl bpf $(if $(KDIR_GIVEN),install-module,install-dkms)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BUILD)/m2mctl $(DESTDIR)$(SBINDIR)/m2mctl
	$(Q)install -D -m 0755 scripts/m2mguard-start \
		$(DESTDIR)$(PKGLIBDIR)/m2mguard-start
	$(Q)install -m 0644 $(filter-out %/bench.bpf.o,$(BPF_OBJS)) \
		$(DESTDIR)$(PKGLIBDIR)/
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|/usr/lib/m2mguard|$(PKGLIBDIR)|g; s|/usr/share/doc/m2mguard|$(DOCDIR)|g' \
		m2mguard.service > $(DESTDIR)$(UNITDIR)/m2mguard.service
	$(Q)for man in $(BUILD)/m2mctl.8 ctl/m2mctl.8; do \
		[ ! -f $$man ] || { install -D -m 0644 $$man \
			$(DESTDIR)$(MANDIR)/man8/m2mctl.8; break; }; done
	$(Q)install -D -m 0644 -t $(DESTDIR)$(DOCDIR)/examples \
		examples/gateway.yaml examples/failsafe.conf \
		examples/m2mguard.conf
	$(Q)install -m 0644 docs/gateway.md $(DESTDIR)$(DOCDIR)/
	$(Q)install -d $(DESTDIR)$(SYSCONFDIR)/m2mguard $(DESTDIR)$(STATEDIR)
	$(Q)for f in failsafe.conf m2mguard.conf; do \
		[ -e $(DESTDIR)$(SYSCONFDIR)/m2mguard/$$f ] || install -m 0644 \
			examples/$$f $(DESTDIR)$(SYSCONFDIR)/m2mguard/$$f; done

install-dkms:
	$(call msg,INSTALL,$(DESTDIR)$(DKMSDIR))
	$(Q)rm -rf $(DESTDIR)$(DKMSDIR)
	$(Q)for f in $(DKMS_SRCS); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit; done
	$(Q)sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' \
		dkms.conf > $(DESTDIR)$(DKMSDIR)/dkms.conf
	$(Q)if [ -n "$(DESTDIR)" ]; then :; \
	elif command -v dkms > /dev/null; then \
		if dkms status $(DKMS_ARGS) | grep -q .; then \
			dkms remove $(DKMS_ARGS) --all > /dev/null || exit; fi; \
		dkms add $(DKMS_ARGS) > /dev/null && \
		dkms install $(DKMS_ARGS); \
	else \
		echo "dkms is not installed: the module is not built;" \
			"see docs/gateway.md" >&2; \
	fi

install-module: module
	$(call msg,INSTALL,$(DESTDIR)/lib/modules/$(KREL)/updates/m2mguard.ko)
	$(Q)install -D -m 0644 m2mguard.ko \
		$(DESTDIR)/lib/modules/$(KREL)/updates/m2mguard.ko
	$(Q)[ -n "$(DESTDIR)" ] || depmod -a $(KREL)

uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)if [ -z "$(DESTDIR)" ] && command -v dkms > /dev/null && \
	   dkms status $(DKMS_ARGS) | grep -q .; then \
		dkms remove $(DKMS_ARGS) --all > /dev/null; fi
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/m2mctl \
		$(DESTDIR)$(PKGLIBDIR)/m2mguard-start \
		$(DESTDIR)$(PKGLIBDIR)/*.bpf.o \
		$(DESTDIR)$(UNITDIR)/m2mguard.service \
		$(DESTDIR)$(MANDIR)/man8/m2mctl.8 \
		$(DESTDIR)/lib/modules/$(KREL)/updates/m2mguard.ko
	$(Q)rm -rf $(DESTDIR)$(DKMSDIR) $(DESTDIR)$(DOCDIR)
	$(Q)rmdir $(DESTDIR)$(PKGLIBDIR) 2>/dev/null || true

# ---- make bench: m2mguard against nftables, ipset, xt_geoip, LPM tries ----
#
#   make bench	scripts/bench: the same tor-geoipdb tables and packets for
#		every contender, on the host (userspace, BPF_PROG_TEST_RUN)
#		and in the VM (the module, nftables, ipset, xt_geoip); a
#		table, bench/results/*.csv and a plot

BENCH_BINS := $(BUILD)/bench_tables $(BUILD)/bench_flood

$(BENCH_BINS): $(BUILD)/%: selftests/bench/%.c selftests/tools/sockaddr.h \
		selftests/bench/tor_addr.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: bench
bench: module $(BUILD)/m2mctl $(BUILD)/bench_bpf $(BENCH_BINS)
	$(Q)scripts/bench
