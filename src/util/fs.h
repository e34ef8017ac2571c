/* Files: bounded reads. (Atomic writes and locks arrive with the state.) */
#ifndef SF_FS_H
#define SF_FS_H

#include "util/util.h"

/*
 * Read all of path into out (appended), refusing files larger than max
 * bytes with SF_EINVALID. A missing file is SF_ENOTFOUND.
 */
int sf_fs_read(
    const char *path, size_t max, struct sf_buf *out, struct sf_err *err);
bool sf_fs_is_dir(const char *path);
/* Join a directory and a name; "." and "" as dir give the name alone. */
char *sf_fs_join(const char *dir, const char *name);
/* Human size: "50.0 MB". */
void sf_fs_human_size(char *out, size_t outlen, uint64_t bytes);

#endif
