# Build, run and test the gateway. `make run` and `make test` do all the set-up (scripts/deps.sh).
# Two build flavours: build/release (-O2, used by run and bench) and build/test (ASan + UBSan,
# used by the tests). Sources are found by wildcard: a new module needs no Makefile change.

CC ?= gcc
PKGS := libcurl libmicrohttpd jansson inih sqlite3 libqrencode libpng expat freetype2
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) -Icommon -Igateway -Ikiosk -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
LIBS = $(shell pkg-config --libs $(PKGS)) -lmbedcrypto -lpthread -lm

LIB_SRC := $(wildcard common/*.c) \
	$(filter-out gateway/gatewayd.c gateway/gatewayctl.c, $(wildcard gateway/*.c)) \
	$(wildcard gateway/providers/*.c)
KIOSK_SRC := $(filter-out kiosk/kiosk.c, $(wildcard kiosk/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)

REL := build/release
TST := build/test
REL_CFLAGS := -O2 -g
TST_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all deps build build-test run run-kiosk test unit integration bench fuzz format-check lint clean

all: build

deps:
	@./scripts/deps.sh

# The kiosk's binary sits beside its objects: build/*/kiosk/ is already a directory.
KIOSK_BIN := $(if $(wildcard kiosk/kiosk.c),kiosk/kiosk)

build: $(REL)/gatewayd $(REL)/gatewayctl $(addprefix $(REL)/,$(KIOSK_BIN))

build-test: $(TST)/gatewayd $(TST)/gatewayctl $(addprefix $(TST)/,$(KIOSK_BIN)) \
	$(patsubst tests/unit/%.c,$(TST)/unit/%,$(UNIT_SRC))

# --- objects ---------------------------------------------------------------------------
$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(TST)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TST_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(REL)/libgw.a: $(patsubst %.c,$(REL)/%.o,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(TST)/libgw.a: $(patsubst %.c,$(TST)/%.o,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(REL)/libkiosk.a: $(patsubst %.c,$(REL)/%.o,$(KIOSK_SRC))
	@rm -f $@
	ar rcs $@ $^

$(TST)/libkiosk.a: $(patsubst %.c,$(TST)/%.o,$(KIOSK_SRC))
	@rm -f $@
	ar rcs $@ $^

# The kiosk links common/ through libgw.a's copies; it never pulls a gateway/ object.
$(REL)/kiosk/kiosk: $(REL)/kiosk/kiosk.o $(REL)/libkiosk.a $(REL)/libgw.a
	$(CC) $(REL_CFLAGS) $^ -o $@ $(LIBS)

$(TST)/kiosk/kiosk: $(TST)/kiosk/kiosk.o $(TST)/libkiosk.a $(TST)/libgw.a
	$(CC) $(TST_CFLAGS) $^ -o $@ $(LIBS)

$(REL)/gatewayd $(REL)/gatewayctl: $(REL)/%: $(REL)/gateway/%.o $(REL)/libgw.a
	$(CC) $(REL_CFLAGS) $^ -o $@ $(LIBS)

$(TST)/gatewayd $(TST)/gatewayctl: $(TST)/%: $(TST)/gateway/%.o $(TST)/libgw.a
	$(CC) $(TST_CFLAGS) $^ -o $@ $(LIBS)

$(TST)/unit/%: $(TST)/tests/unit/%.o $(TST)/libkiosk.a $(TST)/libgw.a
	@mkdir -p $(dir $@)
	$(CC) $(TST_CFLAGS) $^ -o $@ $(LIBS)

# --- what people run --------------------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory build
	@./scripts/run-demo.sh

# The release build is compiled too: -O2 warns about things -O1 does not, and make run
# must never find a build that make test let through.
test: deps
	@$(MAKE) --no-print-directory build-test build
	@./tests/run.sh

# The kiosk against the gatewayd that `make run` started, on the PNG backend and a script.
run-kiosk: deps
	@$(MAKE) --no-print-directory build
	@./scripts/run-kiosk-demo.sh

unit: build-test
	@./tests/run.sh unit

integration: build-test
	@./tests/run.sh integration

bench: deps
	@$(MAKE) --no-print-directory build
	@./tests/bench/bench.sh

fuzz: deps
	@./tests/fuzz/run.sh

format-check:
	clang-format --dry-run --Werror common/*.[ch] gateway/*.[ch] gateway/providers/*.c \
		$(wildcard kiosk/*.[ch]) tests/unit/*.[ch]

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem --inline-suppr --include=/usr/include/jansson.h \
		-Icommon -Igateway -Ikiosk common gateway $(wildcard kiosk)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
