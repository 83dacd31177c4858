/* Files: whole reads, atomic writes, temporary names, directories, paths (core/files.c). */
#ifndef SGP_CORE_FILES_H
#define SGP_CORE_FILES_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a whole file (at most max_bytes; larger is an error). Buffer is NUL-terminated. */
int sgp_read_file(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e);
/* Same, but only a regular file (a symlink to one is followed): a device, FIFO or socket is
 * "cannot read: not a regular file", never read. */
int sgp_read_regular(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e);
/* Opens path read-only (close-on-exec; a FIFO without a writer does not block): a file descriptor, or -1 with e naming the file ("cannot
 * open", "cannot stat", "cannot read: Is a directory"). *size: the size of a regular file, else -1. */
int sgp_open_read(const char *path, int64_t *size, sgp_err *e);
/* Writes atomically: "<path>.tmp.<host>.<pid>.<random>" (O_EXCL, O_NOFOLLOW), fsync, rename. */
int sgp_write_file_atomic(const char *path, const void *buf, size_t len, sgp_err *e);
/* Streaming form: open a temporary next to path; commit renames it; abort removes it. */
typedef struct sgp_atomic_file {
  FILE *f;
  char *path, *tmp;
} sgp_atomic_file;
int sgp_atomic_open(sgp_atomic_file *af, const char *path, sgp_err *e);
int sgp_atomic_commit(sgp_atomic_file *af, sgp_err *e);
void sgp_atomic_abort(sgp_atomic_file *af);
int sgp_mkdirs(const char *path, sgp_err *e);       /* mkdir -p */
/* Creates the directory "<path>.<tag>.<host>.<pid>.<random>" (tag "tmp" or "old"; an unpredictable
 * name, never an existing one); *out is its malloc'd path. */
int sgp_mkdir_temp(const char *path, const char *tag, char **out, sgp_err *e);
/* Removes a directory of plain files without following links (a symlink at `dir` is removed
 * itself, never what it points to). 0 or -1. */
int sgp_remove_flat_dir(const char *dir);
/* Removes the temporaries "*.tmp.<host>.<pid>.*" that processes of this host which are no longer
 * running left in dir (a kill -9, a power loss); a "*.old.*" directory whose original is missing
 * is renamed back instead. Files of live processes and of other hosts are never touched.
 * *removed (may be NULL): how many. -1 if dir cannot be read. */
int sgp_clean_stale(const char *dir, int *removed);
/* This machine's name reduced to [A-Za-z0-9-] (so that the fields of a temporary name split at
 * '.'), at most 32 characters; "host" if unknown. As temporary names and build locks carry it. */
void sgp_host_tag(char *out, size_t cap);
int sgp_path_exists(const char *path);
char *sgp_path_join(const char *a, const char *b);  /* malloc'd */

#ifdef __cplusplus
}
#endif
#endif
