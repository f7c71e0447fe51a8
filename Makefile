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

# --- the benchmark suite (docs/BENCHMARKS.md): static programs run
# natively, under Persona and on Linux in QEMU.  `make bench` runs it all
# (scripts/bench.sh); `make bench-build` only builds the programs.
BENCH_CFLAGS := -std=gnu11 -O2 -static $(WARN) -pthread
$(BUILD)/bench/bench: bench/bench.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<
# std only, no crates: builds offline.
$(BUILD)/bench/bench-rust-start: bench/rust-start/src/main.rs bench/rust-start/Cargo.toml
	@mkdir -p $(dir $@)
	cd bench/rust-start && RUSTFLAGS='-C target-feature=+crt-static' \
		CARGO_TARGET_DIR=$(abspath $(BUILD))/bench/rust cargo build --release --offline --quiet \
		--target x86_64-unknown-linux-gnu
	cp $(BUILD)/bench/rust/x86_64-unknown-linux-gnu/release/bench-rust-start $@
bench-build: $(BUILD)/bench/bench $(BUILD)/bench/bench-rust-start
bench:
	scripts/bench.sh

.PHONY: bench bench-build

# --- seL4 backend: the root task, without its payload (not part of `all`).
# build/sel4/roottask.a + build/sel4/roottask.ld; a root task ELF is then
#   cc -nostdlib -static -no-pie -T build/sel4/roottask.ld -o ROOTTASK.elf \
#      build/sel4/roottask.a PAYLOAD.o
# PERSONA_SEL4: the kernel's build directory (its libsel4 headers must be
# those of the kernel the root task boots on); the source directory comes
# from its CMakeCache.txt unless PERSONA_SEL4_SRC is given.
PERSONA_SEL4 ?= $(HOME)/sel4-build
PERSONA_SEL4_SRC ?= $(shell sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' $(PERSONA_SEL4)/CMakeCache.txt 2>/dev/null)
S4_BUILD := $(BUILD)/sel4
S4_LIBSEL4 := $(PERSONA_SEL4_SRC)/libsel4
S4_INC := $(addprefix -isystem ,$(PERSONA_SEL4)/libsel4/include \
	$(PERSONA_SEL4)/libsel4/arch_include/x86 $(PERSONA_SEL4)/libsel4/sel4_arch_include/x86_64 \
	$(PERSONA_SEL4)/libsel4/autoconf $(PERSONA_SEL4)/libsel4/gen_config $(PERSONA_SEL4)/gen_config \
	$(S4_LIBSEL4)/include $(S4_LIBSEL4)/arch_include/x86 $(S4_LIBSEL4)/sel4_arch_include/x86_64 \
	$(S4_LIBSEL4)/sel4_plat_include/pc99 $(S4_LIBSEL4)/mode_include/64)
# The core keeps the system's headers for Linux's constants, but links
# against platform/sel4/libc only: no glibc object reaches the root task.
# -mgeneral-regs-only: the root task never touches the FPU, so it runs with
# seL4's fpuDisabled flag and the kernel need not save and restore the FPU
# state on every switch between a client and the server.
S4_CFLAGS := -std=gnu11 -g -O2 $(WARN) -D_GNU_SOURCE -U_FORTIFY_SOURCE -Icore -Icore/arch/x86_64 -mgeneral-regs-only \
	-Iplatform -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-pic -fno-pie \
	-fno-stack-protector -mno-red-zone -fno-asynchronous-unwind-tables -fcf-protection=none
S4_SRC := $(wildcard core/*.c core/arch/x86_64/*.c platform/sel4/*.c platform/sel4/libc/*.c)
S4_OBJ := $(patsubst %.c,$(S4_BUILD)/obj/%.o,$(S4_SRC))
S4_HDRS := $(HDRS) $(wildcard platform/sel4/*.h)

sel4: $(S4_BUILD)/roottask.a $(S4_BUILD)/roottask.ld

sel4-check:
	@test -f $(PERSONA_SEL4)/CMakeCache.txt -a -d $(PERSONA_SEL4)/libsel4/include -a -d "$(S4_LIBSEL4)" || \
	{ echo "no seL4 kernel build at $(PERSONA_SEL4): see DEVELOPERS.md"; exit 1; }

$(S4_BUILD)/obj/%.o: %.c $(S4_HDRS) | sel4-check
	@mkdir -p $(dir $@)
	$(CC) $(S4_CFLAGS) $(S4_INC) -c $< -o $@
$(S4_BUILD)/roottask.a: $(S4_OBJ)
	rm -f $@
	ar rcs $@ $^
$(S4_BUILD)/roottask.ld: platform/sel4/roottask.ld | sel4-check
	@mkdir -p $(dir $@)
	cp $< $@

# A root task with a payload running PERSONA_SEL4_HELLO (a static Linux
# x86_64 program) as /bin/hello: the front end's link, by hand.
PERSONA_SEL4_HELLO ?= /tmp/hello
$(S4_BUILD)/hello.elf: $(S4_BUILD)/roottask.a $(S4_BUILD)/roottask.ld $(PERSONA_SEL4_HELLO)
	rm -rf $(S4_BUILD)/hello-root && mkdir -p $(S4_BUILD)/hello-root/bin
	cp $(PERSONA_SEL4_HELLO) $(S4_BUILD)/hello-root/bin/hello
	printf 'PRSNPLD1\001\000\000\000\001\000\000\000\001\000\000\000\000\000\000\000' > $(S4_BUILD)/payload.bin
	printf 'hello\000PATH=/bin\000/bin/hello\000' >> $(S4_BUILD)/payload.bin
	truncate -s %8 $(S4_BUILD)/payload.bin
	cd $(S4_BUILD)/hello-root && find . | LC_ALL=C sort | cpio --quiet -o -H newc >> ../payload.bin
	cd $(S4_BUILD) && ld -r -b binary -o hello-payload.o payload.bin
	objcopy --redefine-sym _binary_payload_bin_start=__persona_payload_start \
		--redefine-sym _binary_payload_bin_end=__persona_payload_end $(S4_BUILD)/hello-payload.o
	cc -nostdlib -static -no-pie -T $(S4_BUILD)/roottask.ld -o $@ $(S4_BUILD)/roottask.a \
		$(S4_BUILD)/hello-payload.o

.PHONY: sel4 sel4-check
