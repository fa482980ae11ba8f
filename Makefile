# pam_bkey: phone-biometric approval for PAM and sudo.
#   make            build the product (release flags)
#   make check      build it and the tests, then run every test
#   make WERROR=1   warnings are errors (CI, developers)
#   CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line
#   (dpkg-buildflags) are added after the project's own
#   make demo       an approved and a denied login and sudo command, on the mock
#   make install    honours DESTDIR and PREFIX
#   make SANITIZE=1 check   the same under ASan/UBSan

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
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
           -DBKEY_DEFAULT_RULES='"$(SYSCONFDIR)/bkey/sudo.rules"' \
           -Icommon
ALL_CFLAGS  = -std=c11 $(WARN) $(OPT) -fPIC -MMD -MP $(BK_CPPFLAGS) \
           $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD) $(LDFLAGS)
NETLIBS := -lcurl -lsodium
MODLIBS := -lsodium

CORE_SRC  := $(sort $(wildcard common/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(B)/%.o)
CORE_LIB  := $(B)/libbkeycore.a
CLI_SRC   := $(sort $(wildcard cli/*.c))
PAM_SRC   := $(sort $(wildcard pam_bkey/*.c))
SUDO_SRC  := $(sort $(wildcard sudo_plugin/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TESTDRV_SRC := $(sort $(wildcard tests/drivers/*.c))
TESTDRV_BIN := $(TESTDRV_SRC:tests/drivers/%.c=$(B)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

PROGS := $(B)/bkey-approve $(B)/pam_bkey.so $(B)/bkey_approval.so

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

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/bkey-approve: $(CLI_SRC:%.c=$(B)/%.o) $(CORE_LIB)
	$(CC) $(ALL_CFLAGS) -pie -o $@ $^ $(ALL_LDFLAGS) $(NETLIBS)

# The modules export only their entry points (version scripts) and never
# link libcurl: all network code runs in the helper.
$(B)/pam_bkey.so: $(PAM_SRC:%.c=$(B)/%.o) $(CORE_LIB) pam_bkey/pam_bkey.map
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(filter %.o %.a,$^) \
	  -Wl,--version-script=pam_bkey/pam_bkey.map $(ALL_LDFLAGS) -lpam \
	  $(MODLIBS)

$(B)/bkey_approval.so: $(SUDO_SRC:%.c=$(B)/%.o) $(CORE_LIB) sudo_plugin/bkey_approval.map
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(filter %.o %.a,$^) \
	  -Wl,--version-script=sudo_plugin/bkey_approval.map $(ALL_LDFLAGS) \
	  $(MODLIBS)

# Unit tests include the sources they test (sudo_plugin/*.c and such).
$(B)/tests/%: tests/unit/%.c $(CORE_LIB) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) \
	  $(NETLIBS)

$(B)/tests/%: tests/drivers/%.c $(CORE_LIB) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) -ldl -lpam \
	  $(NETLIBS)

$(B)/bench/%: bench/%.c $(CORE_LIB) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) $(NETLIBS)

check: all tests
	$(PYTHON) tests/run.py --build $(B) $(TESTS)

demo: all tests
	$(PYTHON) tests/demo.py --build $(B)

bench: all $(BENCH_BIN)
	$(PYTHON) bench/run.py --build $(B)

install: all
	install -d $(DESTDIR)$(LIBEXECDIR)/bkey $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SUDOPLUGDIR) $(DESTDIR)$(SYSCONFDIR)/bkey
	install -m 0755 $(B)/bkey-approve $(DESTDIR)$(HELPER)
	ln -sf $(HELPER) $(DESTDIR)$(BINDIR)/bkey-approve
	install -m 0644 $(B)/pam_bkey.so $(DESTDIR)$(PAMDIR)/pam_bkey.so
	install -m 0644 $(B)/bkey_approval.so $(DESTDIR)$(SUDOPLUGDIR)/bkey_approval.so
	install -m 0644 examples/sudo.rules $(DESTDIR)$(SYSCONFDIR)/bkey/sudo.rules.example
	install -m 0600 examples/bkey.conf $(DESTDIR)$(SYSCONFDIR)/bkey/bkey.conf.example
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	@echo "Now: create the 'bkey' system user and chown it $(STATEDIR) (see INSTALL)."

uninstall:
	rm -f $(DESTDIR)$(HELPER) $(DESTDIR)$(BINDIR)/bkey-approve \
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
