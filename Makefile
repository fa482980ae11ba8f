# SPDX-License-Identifier: ISC
# pam_bkey: phone-biometric approval for PAM and sudo.
#   make            build the product (release flags)
#   make check      build it and the tests, then run every test
#   make WERROR=1   warnings are errors (CI, developers)
#   CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line
#   (dpkg-buildflags) are added after the project's own
#   make demo       ssh login, sudo DB drop, denial, outages, syslog: on the mock
#   make install    honours DESTDIR and PREFIX
#   make SANITIZE=1 check   the same under ASan/UBSan

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec
SYSCONFDIR  ?= /etc
PAMDIR      ?= /lib/$(or $(MULTIARCH),.)/security
SUDOPLUGDIR ?= $(LIBEXECDIR)/sudo
STATEDIR    ?= /var/lib/bkey
HELPER      ?= $(LIBEXECDIR)/bkey/bkey-approve

VERSION := 0.2.0

CC      ?= cc
PYTHON  ?= /usr/bin/python3
B       := build
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# Our flags come first; CPPFLAGS, CFLAGS and LDFLAGS from outside (for
# instance dpkg-buildflags) are added after them, so a packager's flags
# win where they differ and the hardening below is never lost.
# WERROR=1 (CI, developers) turns warnings into errors; packagers opt in.
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ifeq ($(SANITIZE),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
SANLD   := -fsanitize=address,undefined
# ASan reserves terabytes of shadow: the spawned helper gets no AS/DATA cap.
OPT     += -DBKEY_HELPER_AS_LIMIT=0
else
OPT     := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
SANLD   :=
endif
BK_CPPFLAGS := -D_GNU_SOURCE -DBKEY_VERSION='"$(VERSION)"' \
           -DBKEY_HELPER_PATH='"$(HELPER)"' \
           -DBKEY_DEFAULT_CONFIG='"$(SYSCONFDIR)/bkey/bkey.conf"' \
           -DBKEY_DEFAULT_USERS='"$(SYSCONFDIR)/bkey/users"' \
           -DBKEY_DEFAULT_STATEDIR='"$(STATEDIR)"' \
           -DBKEY_DEFAULT_RULES='"$(SYSCONFDIR)/bkey/sudo.rules"'
# The modules see only common/'s headers; the helper, its tests and the
# bench see helper/'s too (set per folder below).
BK_INC      = -Icommon -Ihelper
ALL_CFLAGS  = -std=c11 $(WARN) $(OPT) -fPIC -MMD -MP $(BK_CPPFLAGS) \
           $(BK_INC) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD) $(LDFLAGS)
# A module must resolve every symbol at link time: a call into helper/
# (network, token code) is then a link error, not a load-time surprise.
MOD_LDFLAGS = -Wl,-z,defs $(ALL_LDFLAGS)
NETLIBS := -lcurl -lsodium -lcrypto -lldap -llber
# AES-256-GCM for the vault (helper/vault_crypto.c): the helper only.
VAULTLIBS := -lcrypto
MODLIBS := -lsodium

# Two archives: common/ is what the modules may link; helper/ holds the
# network and token code, linked only into bkey-approve and the tests.
CORE_SRC  := $(sort $(wildcard common/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(B)/%.o)
CORE_LIB  := $(B)/libbkeycore.a
HELP_SRC  := $(sort $(wildcard helper/*.c))
HELP_OBJ  := $(HELP_SRC:%.c=$(B)/%.o)
HELP_LIB  := $(B)/libbkeyhelper.a
# Both archives, helper first: it calls into common.
NET_LIBS_A := $(HELP_LIB) $(CORE_LIB)
CLI_SRC   := $(sort $(wildcard cli/*.c))
# bkey-admin: its own files, the helper's privilege code, the rules parser.
ADMIN_SRC := $(sort $(wildcard admin/*.c))
ADMIN_OBJ := $(ADMIN_SRC:%.c=$(B)/%.o) $(B)/sudo_plugin/rules.o \
  $(B)/sudo_plugin/cmdpath.o \
  $(filter-out $(B)/cli/bkey-approve.o $(B)/cli/vault.o \
  $(B)/cli/vault_runner.o,\
  $(CLI_SRC:%.c=$(B)/%.o))
PAM_SRC   := $(sort $(wildcard pam_bkey/*.c))
SUDO_SRC  := $(sort $(wildcard sudo_plugin/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TESTDRV_SRC := $(sort $(wildcard tests/drivers/*.c))
TESTDRV_BIN := $(TESTDRV_SRC:tests/drivers/%.c=$(B)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

PROGS := $(B)/bkey-approve $(B)/pam_bkey.so $(B)/bkey_approval.so \
  $(B)/bkey-admin

.PHONY: all tests check unit demo install uninstall clean bench FORCE
# The product only; the tests and their drivers are built by check.
all: $(PROGS)
tests: $(UNIT_BIN) $(TESTDRV_BIN)

# Paths are compiled in (the modules' default helper, config, rules):
# rebuild when they change, e.g. "make install PREFIX=/usr" after "make".
STAMP := $(B)/paths.stamp
STAMP_TEXT := $(VERSION) $(HELPER) $(SYSCONFDIR) $(STATEDIR) \
  sanitize=$(SANITIZE) werror=$(WERROR) $(CPPFLAGS) $(CFLAGS)
$(STAMP): FORCE
	@mkdir -p $(B)
	@echo '$(STAMP_TEXT)' | cmp -s - $@ || echo '$(STAMP_TEXT)' > $@

$(B)/%.o: %.c $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/common/%.o $(B)/pam_bkey/%.o $(B)/sudo_plugin/%.o: BK_INC = -Icommon

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(HELP_LIB): $(HELP_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/bkey-approve: $(CLI_SRC:%.c=$(B)/%.o) $(NET_LIBS_A)
	$(CC) $(ALL_CFLAGS) -pie -o $@ $^ $(ALL_LDFLAGS) $(NETLIBS) $(VAULTLIBS)

$(B)/bkey-admin: $(ADMIN_OBJ) $(NET_LIBS_A)
	$(CC) $(ALL_CFLAGS) -pie -o $@ $^ $(ALL_LDFLAGS) $(NETLIBS) -lqrencode

# The modules export only their entry points (version scripts), link
# common/ only and never libcurl: all network code runs in the helper.
# $(call module_link,MAP,LIBS): the one recipe for every module.
define module_link
$(CC) $(ALL_CFLAGS) -shared -o $@ $(filter %.o %.a,$^) \
  -Wl,--version-script=$(1) $(MOD_LDFLAGS) $(2)
endef

$(B)/pam_bkey.so: $(PAM_SRC:%.c=$(B)/%.o) $(CORE_LIB) pam_bkey/pam_bkey.map
	$(call module_link,pam_bkey/pam_bkey.map,-lpam $(MODLIBS))

$(B)/bkey_approval.so: $(SUDO_SRC:%.c=$(B)/%.o) $(CORE_LIB) sudo_plugin/bkey_approval.map
	$(call module_link,sudo_plugin/bkey_approval.map,$(MODLIBS))

# A module that calls helper code: tests/integration/test_boundary.py
# builds it (never "all" nor "tests") and expects the link to fail.
$(B)/tests/integration/%.o: BK_INC = -Icommon
$(B)/tests/boundary_probe.so: $(B)/tests/integration/boundary_probe.o $(CORE_LIB) pam_bkey/pam_bkey.map
	$(call module_link,pam_bkey/pam_bkey.map,-lpam $(MODLIBS))

# Unit tests include the sources they test (sudo_plugin/*.c and such).
$(B)/tests/%: tests/unit/%.c $(NET_LIBS_A) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(NET_LIBS_A) $(ALL_LDFLAGS) \
	  $(NETLIBS)

$(B)/tests/%: tests/drivers/%.c $(NET_LIBS_A) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(NET_LIBS_A) $(ALL_LDFLAGS) -ldl -lpam \
	  $(NETLIBS)

$(B)/bench/%: bench/%.c $(NET_LIBS_A) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(NET_LIBS_A) $(ALL_LDFLAGS) $(NETLIBS)

check: all tests
	$(PYTHON) tests/run.py --build $(B) $(TESTS)

demo: all tests
	$(PYTHON) tests/demo.py --build $(B)

bench: all $(TESTDRV_BIN) $(BENCH_BIN)
	$(PYTHON) bench/run.py --build $(B)

install: all
	install -d $(DESTDIR)$(LIBEXECDIR)/bkey $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SUDOPLUGDIR) $(DESTDIR)$(SYSCONFDIR)/bkey
	install -m 0755 $(B)/bkey-approve $(DESTDIR)$(HELPER)
	ln -sf $(HELPER) $(DESTDIR)$(BINDIR)/bkey-approve
	install -D -m 0755 $(B)/bkey-admin $(DESTDIR)$(SBINDIR)/bkey-admin
	install -m 0644 $(B)/pam_bkey.so $(DESTDIR)$(PAMDIR)/pam_bkey.so
	install -m 0644 $(B)/bkey_approval.so $(DESTDIR)$(SUDOPLUGDIR)/bkey_approval.so
	install -m 0644 examples/sudo.rules $(DESTDIR)$(SYSCONFDIR)/bkey/sudo.rules.example
	install -m 0600 examples/bkey.conf $(DESTDIR)$(SYSCONFDIR)/bkey/bkey.conf.example
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	@echo "Now: create the 'bkey' system user (see INSTALL); $(STATEDIR) stays root's."

uninstall:
	rm -f $(DESTDIR)$(HELPER) $(DESTDIR)$(BINDIR)/bkey-approve \
	  $(DESTDIR)$(SBINDIR)/bkey-admin \
	  $(DESTDIR)$(PAMDIR)/pam_bkey.so $(DESTDIR)$(SUDOPLUGDIR)/bkey_approval.so

# Manual pages, uncompressed (Debian's dh_compress gzips them).
MANDIR    ?= $(PREFIX)/share/man
MAN_PAGES := $(sort $(wildcard man/*.[158]))
.PHONY: install-man uninstall-man
install: install-man
uninstall: uninstall-man
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8
uninstall-man:
	rm -f $(foreach p,$(MAN_PAGES),\
	  $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))

clean:
	rm -rf $(B)

# Header dependencies, written by -MMD (not under pkgtest/: the package
# test's Debian tree has directories such as pam.d).
-include $(shell find $(B) -path $(B)/pkgtest -prune -o -type f \
  -name '*.d' -print 2>/dev/null)
