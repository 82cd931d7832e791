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
LIBFLAG      ?= -shared
PKG_CONFIG   ?= pkg-config
# Recursively expanded on purpose: pkg-config may only exist after `make deps`.
CURL_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS     = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
CRYPTO_LIBS   = $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
WARN         := -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
HS_CFLAGS     = $(WARN) -fPIC -fvisibility=hidden -D_POSIX_C_SOURCE=200809L $(CURL_CFLAGS)
PREFIX       ?= /usr/local
INST_LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
INST_LUADIR  ?= $(PREFIX)/share/lua/$(LUA_VERSION)
INST_BINDIR  ?= $(PREFIX)/bin
DESTDIR      ?=

SRCS    := $(wildcard csrc/*.c)
HDRS    := $(wildcard csrc/*.h)
LUAMODS := $(shell find lua -name '*.lua' | sort)
BINS    := bin/helpscout bin/helpscout-sandbox bin/helpscout-mcp

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

DEB_PKGS := lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev libcurl4-openssl-dev lua-cjson \
            lua-busted lua-socket lua-check luarocks pkg-config gcc make curl valgrind \
            libssl-dev redis-server clang libclang-rt-14-dev
# helpscout.resty: nginx with the lua module (OpenResty's) and its Lua half; openssl for test certificates
DEB_PKGS += nginx libnginx-mod-http-lua lua-resty-core openssl


.PHONY: rockspec
.PHONY: mutate
# Deliberate bugs, one at a time, against the specs that must catch each (spec/support/mutate.lua);
# MUTANTS="name ..." runs a subset.
mutate: $(SO54) $(SOJIT)
	@$(ENV54) MUTANTS="$(MUTANTS)" $(LUA) spec/support/mutate.lua

.PHONY: all deps build build-jit test test-54 test-jit test-valgrind test-asan test-mcp fuzz lint demo demo-nginx bench install clean check-rock check-deps

all: $(SO54)

$(SO54): $(SRCS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HS_CFLAGS) -I$(LUA_INCDIR) $(LIBFLAG) -o $@ $(SRCS) $(CURL_LIBS) $(CRYPTO_LIBS)

$(SOJIT): $(SRCS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HS_CFLAGS) -I$(LUAJIT_INCDIR) $(LIBFLAG) -o $@ $(SRCS) $(CURL_LIBS) $(CRYPTO_LIBS)

$(SOASAN): $(SRCS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(HS_CFLAGS) -I$(LUA_INCDIR) $(LIBFLAG) -o $@ $(SRCS) $(CURL_LIBS) $(CRYPTO_LIBS)

build: $(SO54)
build-jit: $(SOJIT)

# Installs only the Debian packages that are missing (as root, or through sudo).
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@# test-only JavaScript (the official MCP SDK client), pinned by package-lock.json
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  echo "make deps: npm ci"; npm ci --no-audit --no-fund --loglevel=error || exit 1; \
	fi

lint:
	luacheck -q lua bin/helpscout bin/helpscout-sandbox bin/helpscout-mcp spec examples bench fuzz

test-54: $(SO54) $(SOJIT) # the nginx specs load build/jit into nginx
	$(ENV54) $(LUA) spec/support/run.lua $(LUA) $(BUSTED_ARGS)

test-jit: $(SOJIT)
	$(ENVJIT) $(LUAJIT) spec/support/run.lua $(LUAJIT) $(BUSTED_ARGS)

# The official MCP SDK client (node) against bin/helpscout-mcp and a sandbox it starts.
test-mcp: $(SO54)
	@command -v node >/dev/null 2>&1 || { echo "missing prerequisite: node not found (PATH=$$PATH); make test-mcp runs the official MCP SDK client (make deps)"; exit 1; }
	$(ENV54) node spec/mcp/client.mjs

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

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory -B CFLAGS="$(CFLAGS) -Werror" $(SO54) $(SOJIT)
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory check-rock
	@$(MAKE) --no-print-directory check-deps
	@$(LUA) spec/support/summary.lua --reset
	@rc=0; \
	$(MAKE) --no-print-directory test-54 || rc=1; \
	$(MAKE) --no-print-directory test-jit || rc=1; \
	$(MAKE) --no-print-directory test-valgrind || rc=1; \
	$(MAKE) --no-print-directory test-asan || rc=1; \
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=20 || rc=1; \
	$(MAKE) --no-print-directory test-mcp || rc=1; \
	$(MAKE) --no-print-directory test-connector || rc=1; \
	$(LUA) spec/support/summary.lua || rc=1; \
	exit $$rc

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(SO54)
	@$(ENV54) sh examples/demo.sh

# examples/nginx.conf in a real nginx against the sandbox (helpscout.resty)
demo-nginx:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(SOJIT)
	@$(ENV54) $(LUA) examples/nginx_demo.lua

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(SO54)
	@$(ENV54) $(LUA) bench/run.lua

install: $(SO54)
	install -d $(DESTDIR)$(INST_LIBDIR)/helpscout $(DESTDIR)$(INST_LUADIR)/helpscout $(DESTDIR)$(INST_BINDIR)
	install -m 0755 $(SO54) $(DESTDIR)$(INST_LIBDIR)/helpscout/core.so
	cd lua && for f in $$(find helpscout -name '*.lua'); do \
	  install -D -m 0644 $$f $(DESTDIR)$(INST_LUADIR)/$$f; done
	for b in $(BINS); do install -m 0755 $$b $(DESTDIR)$(INST_BINDIR)/; done

# The C files' call graph from their objects' symbols: fails on a circle (DESIGN §3).
check-deps:
	@mkdir -p .tmp/objs && rm -f .tmp/objs/*.o
	@for f in $(SRCS); do $(CC) -c $(HS_CFLAGS) -I$(LUA_INCDIR) -o .tmp/objs/$$(basename $$f .c).o $$f || exit 1; done
	@$(LUA) spec/support/check-deps.lua .tmp/objs

# The rockspec's Lua module list, written from the tree (check-rock fails when it is stale).
rockspec:
	@$(LUA) spec/support/gen-rockspec.lua

# Proves the rockspec installs a working module offline into a throw-away tree.
check-rock:
	@sh spec/support/check-rock.sh

clean:
	rm -rf build .tmp

# The hosted connector (examples/connector.conf in a real nginx, a sandbox with two accounts): the
# official MCP SDK client with its OAuth provider, and the official conformance suite (Node 22).
test-connector: $(SO54) $(SOJIT)
	$(ENV54) $(LUA) spec/connector/run.lua

# An SDK client walked through the connector's whole flow against the sandbox, narrated.
demo-connector:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(SO54) $(SOJIT)
	@$(ENV54) $(LUA) examples/connector_demo.lua
