# cabled — build, run and test.
#
#   make                      build/cabled and the unit test runner
#   make run                  install what is missing, build, start the demo server and its
#                             chat page on http://127.0.0.1:8080/ (PORT=9000, HOST=0.0.0.0)
#   make run TLS=1            the same on https:// and wss://, with a self-signed certificate made
#                             for it in build/tls/ (scripts/dev-cert.sh)
#   make demo-reset           remove the demo's database (cabled.db), to start over
#   make cluster              Redis, PostgreSQL and three demo nodes on one port (Ctrl-C stops all)
#   make test                 install what is missing, build, run every test suite
#   make SANITIZE=address,undefined   the same build under sanitizers (in build/san)
#   make fuzz                 build the libFuzzer targets and run each for FUZZ_SECONDS
#                             (300: minutes each; make test only runs each for 10 s)
#   make bench                the fan-out benchmark (see bench/README.md)
#   make bench-cluster        the same fan-out across 1, 2 and 3 nodes on Redis
#   make bench-deflate        permessage-deflate on and off, interleaved, at 10,000 subscribers
#   make bench-compare SCENARIO=A   one scenario (A-F) side by side with uWebSockets, ws and
#                             Action Cable (MODE=short: seconds per case; see bench/README.md)

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build
SAN_FLAGS :=
else
BUILD ?= build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

CC ?= cc
PKGS := libuv jansson libjwt openssl sqlite3 libpq hiredis zlib liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread -lm

WARN := -Wall -Wextra -Wstrict-prototypes -Wshadow -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -Werror -Isrc $(PKG_CFLAGS) $(SAN_FLAGS) -MMD -MP
LDFLAGS += $(SAN_FLAGS)

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/*/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/runner.o

.PHONY: all run demo-reset cluster test unit integration fuzz fuzz-smoke bench bench-cluster bench-deflate bench-compare deps clean format
all: $(BUILD)/cabled $(BUILD)/run_tests

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcabled.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The demo page (demo/) and the npm client it loads are found in this
# checkout unless --demo-dir says otherwise.
$(BUILD)/src/main.o: CFLAGS += -DCABLED_SOURCE_DIR='"$(CURDIR)"'

$(BUILD)/cabled: $(BUILD)/src/main.o $(BUILD)/libcabled.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The test list is generated from the TEST(name) lines, so a new test is
# picked up by writing it.
$(BUILD)/gen/test_list.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^TEST([a-z0-9_]*)' $(TEST_SRC) | sed 's/^TEST(\(.*\))/TEST_ENTRY(\1)/' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/tests/runner.o: tests/runner.c $(BUILD)/gen/test_list.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD)/gen -Itests -c $< -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -c $< -o $@

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libcabled.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

deps:
	@scripts/install-deps.sh

# Where `make run` listens: PORT and HOST (from the command line or the
# environment); without either, CABLED_LISTEN or 127.0.0.1:8080.
RUN_LISTEN := $(if $(PORT)$(HOST),--listen $(or $(HOST),127.0.0.1):$(or $(PORT),8080))

# TLS=1: serve the demo on TLS with a self-signed certificate, made (or kept) in build/tls/.
RUN_TLS_DIR := build/tls
RUN_TLS := $(if $(filter 1 yes true,$(TLS)), --tls-cert $(RUN_TLS_DIR)/cert.pem --tls-key $(RUN_TLS_DIR)/key.pem)

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/cabled
	$(if $(RUN_TLS),@scripts/dev-cert.sh $(RUN_TLS_DIR) $(HOST))
	$(BUILD)/cabled --demo$(if $(RUN_LISTEN), $(RUN_LISTEN))$(RUN_TLS)

demo-reset:
	rm -f cabled.db cabled.db-wal cabled.db-shm

cluster: deps
	@$(MAKE) --no-print-directory $(BUILD)/cabled
	@BIN=$(BUILD)/cabled scripts/cluster.sh

unit: $(BUILD)/run_tests
	$(BUILD)/run_tests

integration: $(BUILD)/cabled
	CABLED_BIN=$(abspath $(BUILD)/cabled) node --test --test-concurrency=1 tests/integration/*.test.js

test: deps
	@tests/run_all.sh

# ---- fuzzing (clang + libFuzzer) -------------------------------------------
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Isrc $(PKG_CFLAGS) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := $(patsubst fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_SECONDS ?= 300

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS)

fuzz-build: $(FUZZ_TARGETS)
.PHONY: fuzz-build
# Keep the instrumented objects between runs.
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz: deps $(FUZZ_TARGETS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_TARGETS)
	@FUZZ_SECONDS=10 scripts/fuzz.sh $(FUZZ_TARGETS)

# ---- benchmark ------------------------------------------------------------
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/bench_fanout: $(BENCH_OBJ) $(BUILD)/libcabled.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench: deps $(BUILD)/cabled $(BUILD)/bench_fanout
	@BUILD=$(BUILD) bench/run.sh

bench-cluster: deps $(BUILD)/cabled $(BUILD)/bench_fanout
	@BUILD=$(BUILD) bench/cluster.sh

bench-deflate: deps $(BUILD)/cabled $(BUILD)/bench_fanout
	@BUILD=$(BUILD) bench/deflate.sh

# The peers are installed by bench/compare.sh itself (scripts/install-bench-peers.sh).
SCENARIO ?=
MODE ?= full
bench-compare: deps $(BUILD)/cabled $(BUILD)/bench_fanout
	@BUILD=$(BUILD) bench/compare.sh $(SCENARIO) $(MODE)

-include $(BENCH_OBJ:.o=.d)

format:
	clang-format -i $(wildcard src/*/*.[ch] src/*.c tests/*.[ch] tests/unit/*/*.c fuzz/*.c bench/*.[ch])

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/src/main.d $(FUZZ_LIB_OBJ:.o=.d)
