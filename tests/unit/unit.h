/*
 * A small unit-test harness: TEST(name) { ... } registers a test; CHECK*
 * record failures without stopping the run.  tests/unit/main.c runs every
 * test (or those whose name contains argv[1]) and prints
 * "N passed, N failed".  Each test starts with fake_reset().
 */
#ifndef PERSONA_UNIT_H
#define PERSONA_UNIT_H

#include <stdio.h>
#include <string.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *what);

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void reg_##name(void)                                  \
	{                                                                                          \
		unit_register(#name, name);                                                        \
	}                                                                                          \
	static void name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			unit_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			char m_[256];                                                              \
			snprintf(m_, sizeof m_, "%s == %s (%lld != %lld)", #a, #b, a_, b_);        \
			unit_fail(__FILE__, __LINE__, m_);                                         \
		}                                                                                  \
	} while (0)

#endif
