/*
 * Logging and the -d trace flags. Traces go to stderr (or the --log file); each flag is
 * one bit of log_mask, tested inline so a disabled trace costs one load and branch.
 */
#ifndef OMNIVM_CORE_LOG_H
#define OMNIVM_CORE_LOG_H

#include <stdbool.h>
#include <stdio.h>

#define LOG_IN_ASM 0x01u /* guest instructions as they are translated */
#define LOG_IR 0x02u     /* IR of each block after translation and after optimisation */
#define LOG_EXEC 0x04u   /* every block executed, with its pc */
#define LOG_INT 0x08u    /* exceptions, interrupts, signals */
#define LOG_MMU 0x10u    /* page walks and TLB fills */
#define LOG_CPU 0x20u    /* guest registers before each block */

extern unsigned log_mask;
extern FILE *log_file;

static inline bool log_enabled(unsigned flag) { return __builtin_expect((log_mask & flag) != 0, 0); }

/* Parses "in_asm,ir,..." into log_mask; returns -1 and names the bad flag on stderr. */
int log_parse_flags(const char *s);
void log_flags_help(FILE *f);
__attribute__((format(printf, 1, 2))) void log_printf(const char *fmt, ...);

/* One clear error line: "omnivm: <message>" on stderr. */
__attribute__((format(printf, 1, 2))) void error_msg(const char *fmt, ...);

#endif
