# Persona: one build command, `make`.  Outputs in build/.
#   build/persona          the CLI with the Linux backend
#   build/asan/persona     the same, built with ASan + UBSan
#   build/unit             core unit tests against the fake platform
#   build/asan/unit        the same with ASan + UBSan
#   build/backend-test     the Linux backend driven through plat.h (no core)
CC ?= cc
BUILD ?= build
# The client architecture the core is built for: core/arch/$(ARCH)/.
ARCH ?= x86_64
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
INC := -Icore -Icore/arch/$(ARCH) -Iplatform -Iplatform/fake
CFLAGS_BASE := -std=gnu11 -g $(WARN) $(INC) -D_GNU_SOURCE
CFLAGS := $(CFLAGS_BASE) -O2
SANFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

CORE_SRC := $(wildcard core/*.c core/arch/$(ARCH)/*.c)
LINUX_SRC := $(wildcard platform/linux/*.c) $(wildcard cli/*.c)
LINUX_ASM := $(wildcard platform/linux/*.S)
FAKE_SRC := $(wildcard platform/fake/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
BACKEND_TEST_SRC := $(wildcard platform/linux/*.c) $(wildcard tests/backend/*.c)
HDRS := $(wildcard core/*.h core/*.def core/arch/$(ARCH)/*.h platform/*.h platform/linux/*.h platform/fake/*.h tests/unit/*.h)

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
$(BUILD)/backend-test: $(call obj,$(BUILD),$(BACKEND_TEST_SRC) $(LINUX_ASM))
	$(CC) $(CFLAGS) -o $@ $^
$(BUILD)/obj/tests/backend/%.o: CFLAGS += -Iplatform/linux

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

# --- Linux backend: the stub program every client process runs, built on
# its own (no libc, linked above plat_user_top()) and embedded in the
# server by platform/linux/stubimg.S ---
STUB_ELF := $(BUILD)/stub/stub.elf
$(STUB_ELF): platform/linux/stub/stub.S
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -no-pie -Wl,-Ttext-segment=0x7ff000000000 -Wl,--build-id=none -o $@ $<
$(BUILD)/obj/platform/linux/stubimg.o $(BUILD)/asan/obj/platform/linux/stubimg.o: $(STUB_ELF)
$(BUILD)/obj/platform/linux/stubimg.o: CFLAGS += -DSTUB_ELF='"$(STUB_ELF)"'
$(BUILD)/asan/obj/platform/linux/stubimg.o: CFLAGS_BASE += -DSTUB_ELF='"$(STUB_ELF)"'

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# --- riscv64 core, cross-compiled and run under user-mode QEMU ---
# Debian: apt-get install -y gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
# qemu-user-static.  Only the core, the fake platform and the unit tests:
# the Linux backend is x86_64-only.
RV_CC ?= riscv64-linux-gnu-gcc
RV_QEMU ?= $(firstword $(shell command -v qemu-riscv64-static qemu-riscv64 2>/dev/null) qemu-riscv64-static)
RV_BUILD := $(BUILD)/riscv64
RV_SRC := $(wildcard core/*.c core/arch/riscv64/*.c) $(FAKE_SRC) $(UNIT_SRC)
RV_HDRS := $(wildcard core/*.h core/*.def core/arch/riscv64/*.h platform/*.h platform/fake/*.h tests/unit/*.h)
RV_CFLAGS := -std=gnu11 -g -O2 $(WARN) -Icore -Icore/arch/riscv64 -Iplatform -Iplatform/fake -D_GNU_SOURCE

$(RV_BUILD)/obj/%.o: %.c $(RV_HDRS)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_CFLAGS) -c $< -o $@
$(RV_BUILD)/unit: $(call obj,$(RV_BUILD),$(RV_SRC))
	$(RV_CC) $(RV_CFLAGS) -static -o $@ $^

check-riscv64: $(RV_BUILD)/unit
	$(RV_QEMU) $(RV_BUILD)/unit

.PHONY: all asan clean format check-riscv64
