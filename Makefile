# skillrouter — plain `make` builds build/skillrouter and build/libskillrouter.a.
# `make test` builds an AddressSanitizer + UBSan copy under build/asan and runs every test.
# `make bench` runs the benchmarks (needs ../shared for the real-catalog ones).
# New source files are picked up automatically: src/<module>/*.c go into the library,
# src/cli/*.c into the CLI, tests/unit/test_*.c each become one test program.

CC      ?= cc
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
PKGS    := yaml-0.1 libcjson libpcre2-8 libutf8proc zlib libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -pthread $(WARN) -Isrc $(PKG_CFLAGS)
OPT     ?= -O2 -g -march=x86-64-v2 -mtune=native
CFLAGS_REL  := $(BASE_CFLAGS) $(OPT)
CFLAGS_SAN  := $(BASE_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS  := $(PKG_LIBS) -lm -pthread

LIB_SRC := $(sort $(wildcard src/util/*.c src/catalog/*.c src/text/*.c src/index/*.c src/route/*.c src/eval/*.c src/model/*.c src/kernels/*.c src/serve/*.c src/train/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
HDRS    := $(wildcard src/*/*.h) tests/test.h

REL_LIB_OBJ := $(LIB_SRC:%.c=build/rel/%.o)
REL_CLI_OBJ := $(CLI_SRC:%.c=build/rel/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=build/asan/%.o)
SAN_TESTS   := $(TEST_SRC:tests/unit/%.c=build/asan/tests/%)

.PHONY: all test bench clean check-deps model
all: check-deps build/skillrouter build/libskillrouter.a

check-deps:
	@pkg-config --exists $(PKGS) && test -f /usr/include/libstemmer.h || { \
	  echo "skillrouter: missing build dependencies:$$(for p in $(PKGS); do pkg-config --exists $$p || printf ' %s' $$p; done;\
	    test -f /usr/include/libstemmer.h || printf ' libstemmer')" >&2; \
	  echo "  (Debian packages: libyaml-dev libcjson-dev libpcre2-dev libutf8proc-dev zlib1g-dev libmicrohttpd-dev" >&2; \
	  echo "   libcurl4-openssl-dev libstemmer-dev); run: scripts/install-deps.sh" >&2; exit 1; }

build/rel/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_REL) -c $< -o $@

build/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS_SAN) -c $< -o $@

build/libskillrouter.a: $(REL_LIB_OBJ)
	@mkdir -p build
	@rm -f $@ && ar rcs $@ $^

build/skillrouter: $(REL_CLI_OBJ) build/libskillrouter.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_REL) -o $@ $(REL_CLI_OBJ) build/libskillrouter.a $(LDLIBS)

build/asan/libskillrouter.a: $(SAN_LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

build/asan/skillrouter: $(SAN_CLI_OBJ) build/asan/libskillrouter.a
	@echo "  LD asan $@"
	@$(CC) $(CFLAGS_SAN) -o $@ $(SAN_CLI_OBJ) build/asan/libskillrouter.a $(LDLIBS)

build/asan/tests/%: tests/unit/%.c build/asan/libskillrouter.a $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	@$(CC) $(CFLAGS_SAN) -Itests -o $@ $< build/asan/libskillrouter.a $(LDLIBS)

# Test tools (tests/tools/*.c): stand-alone programs the e2e scripts start, e.g. the mock chat endpoint.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TEST_TOOLS := $(TOOL_SRC:tests/tools/%.c=build/tests/%)
build/tests/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_REL) -o $@ $< $(LDLIBS)

test: check-deps $(SAN_TESTS) $(TEST_TOOLS) build/asan/skillrouter build/skillrouter
	@tests/run.sh

bench: all
	@bench/run.sh

# Trains the default model (models/default.srm) from ../shared's skillsbench-80k pool; see models/MODEL_CARD.md.
model: all
	@scripts/train_default_model.sh

clean:
	rm -rf build

# The quick-start demo: index the example catalog (skills written for this project + an MCP tool file),
# route a few tasks, and score the example benchmark.
.PHONY: demo
demo: all
	@echo "== index the example catalog"
	build/skillrouter index examples/skills examples/tools/weather.json -o build/examples.idx
	@echo "== route a task"
	build/skillrouter route -i build/examples.idx -k 3 "Pull the tables out of these invoice PDFs and summarise totals per vendor"
	@echo "== route a tool request"
	build/skillrouter route -i build/examples.idx -k 2 "Are there severe weather alerts in CA?"
	@echo "== score the example tasks"
	build/skillrouter eval -i build/examples.idx --tasks examples/tasks.jsonl --relevance examples/relevance.json
