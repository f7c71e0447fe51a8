# Persona: one build command, `make`.  Outputs in build/.
#   build/persona          the CLI with the Linux backend
#   build/asan/persona     the same, built with ASan + UBSan
#   build/unit             core unit tests against the fake platform
#   build/asan/unit        the same with ASan + UBSan
CC ?= cc
BUILD ?= build
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
INC := -Icore -Icore/arch/x86_64 -Iplatform -Iplatform/fake
CFLAGS_BASE := -std=gnu11 -g $(WARN) $(INC) -D_GNU_SOURCE
CFLAGS := $(CFLAGS_BASE) -O2
SANFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

CORE_SRC := $(wildcard core/*.c core/arch/x86_64/*.c)
LINUX_SRC := $(wildcard platform/linux/*.c) $(wildcard cli/*.c)
LINUX_ASM := $(wildcard platform/linux/*.S)
FAKE_SRC := $(wildcard platform/fake/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
HDRS := $(wildcard core/*.h core/*.def core/arch/x86_64/*.h platform/*.h platform/linux/*.h platform/fake/*.h tests/unit/*.h)

obj = $(patsubst %.c,$(1)/obj/%.o,$(patsubst %.S,%.c,$(2)))

all: $(BUILD)/persona $(BUILD)/unit
asan: $(BUILD)/asan/persona $(BUILD)/asan/unit

# --- normal build ---
$(BUILD)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/persona: $(call obj,$(BUILD),$(CORE_SRC) $(LINUX_SRC) $(LINUX_ASM))
	$(CC) $(CFLAGS) -o $@ $^
$(BUILD)/unit: $(call obj,$(BUILD),$(CORE_SRC) $(FAKE_SRC) $(UNIT_SRC))
	$(CC) $(CFLAGS) -o $@ $^

# --- sanitizer build ---
$(BUILD)/asan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SANFLAGS) -c $< -o $@
$(BUILD)/asan/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SANFLAGS) -c $< -o $@
$(BUILD)/asan/persona: $(call obj,$(BUILD)/asan,$(CORE_SRC) $(LINUX_SRC) $(LINUX_ASM))
	$(CC) $(CFLAGS_BASE) $(SANFLAGS) -o $@ $^
$(BUILD)/asan/unit: $(call obj,$(BUILD)/asan,$(CORE_SRC) $(FAKE_SRC) $(UNIT_SRC))
	$(CC) $(CFLAGS_BASE) $(SANFLAGS) -o $@ $^

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

.PHONY: all asan clean format
