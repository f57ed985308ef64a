# Thin wrapper over Meson: `make` builds build/omnivm, `make check` runs every test,
# `make demo` runs the default guest.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all check demo bench clean setup asan

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

setup:
	scripts/setup

check: all
	tests/run

demo: all
	scripts/demo

bench: all
	bench/run

asan:
	$(MAKE) BUILD=build-asan MESON_OPTS=-Dsanitize=true all

clean:
	rm -rf $(BUILD) build-asan
