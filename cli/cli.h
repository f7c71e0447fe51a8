/*
 * Shared between the files of the command-line front end.
 */
#ifndef PERSONA_CLI_H
#define PERSONA_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Print "persona: " and a formatted message on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy the host directory dir (its files, directories, symlinks, with
 * their modes) into the guest filesystem under /.  0 or -1 after printing
 * why. */
int cli_import_root(const char *dir);

/* Read a whole host file into memory (malloc'd).  0 or a negative errno. */
int cli_read_file(int fd, void **data, size_t *len);

#endif
