// SPDX-License-Identifier: GPL-2.0
/*
 * The last good policy. After every policy the kernel accepts, m2mctl
 * keeps its compiled blob in the state directory, so that at boot a
 * policy file that no longer compiles (a broken edit, a missing geo
 * database) does not leave the gateway without a policy: the start
 * script loads the last good one instead.
 *
 * The file is written beside its final name and renamed over it after an
 * fsync, so a crash leaves either the old or the new policy, never a
 * torn one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lastgood.h"
#include "m2mctl.h"

#define STATE_DIR_DEFAULT "/var/lib/m2mguard"

static const char *state_dir(void)
{
	const char *dir = getenv("M2M_STATE_DIR");

	return dir && *dir ? dir : STATE_DIR_DEFAULT;
}

int lastgood_path(char *path, size_t size)
{
	const char *ns = opts.netns, *slash;
	char name[256];
	size_t i;
	int n;

	if (!ns) {
		n = snprintf(path, size, "%s/last-good.bin", state_dir());
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}

	/* A namespace given as a path is known by its last component. */
	slash = strrchr(ns, '/');
	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : ns);
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			name[i] = '_';
	n = snprintf(path, size, "%s/last-good-%s.bin", state_dir(), name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Make the rename in DIR durable; a failure here loses nothing. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void warn(const char *what, const char *path)
{
	fprintf(stderr, "m2mctl: warning: the policy is in force, but it "
		"was not kept as the last good one: %s `%s': %s\n", what,
		path, strerror(errno));
}

int lastgood_save(const void *blob, uint32_t len)
{
	char path[4096], tmp[4096 + 16];
	const char *dir = state_dir();
	int fd;

	if (lastgood_path(path, sizeof(path))) {
		errno = ENAMETOOLONG;
		warn("cannot name", dir);
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		warn("cannot create", dir);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		warn("cannot create", tmp);
		return -1;
	}
	if (write_all(fd, blob, len) || fchmod(fd, 0644) || fsync(fd)) {
		warn("cannot write", tmp);
		goto err_unlink;
	}
	if (close(fd)) {
		fd = -1;
		warn("cannot write", tmp);
		goto err_unlink;
	}
	fd = -1;
	if (rename(tmp, path)) {
		warn("cannot rename it to", path);
		goto err_unlink;
	}
	sync_dir(dir);
	return 0;

err_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
