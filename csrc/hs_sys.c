/*
 * hs_sys.c — core.sys: the few operating-system and crypto primitives the Lua layer needs
 * (webhook signatures, OAuth state, token stores), on OpenSSL's libcrypto and POSIX.
 *
 * core.sys = { hmac_sha1, sha256, base64, unbase64, equal, random, read_file, write_file, mkdir,
 *              lock, now, sleep, read, pid, alive, hostname, list_dir }
 *
 * Files (the token stores): every file is opened with O_NOFOLLOW (a symlink planted in place of a
 * token, lock or budget file is refused, never followed), created with an exact mode (0600 by
 * default, whatever the umask), and must be a regular file owned by the effective user.
 * Invariants: wrong argument types raise; operating-system failures return nil, message; a
 * message names at most a path and the OS reason, never the data, a key or a secret. Temporary
 * buffers that held key material are cleansed. A lock object owns one file descriptor, released
 * exactly once (unlock, __gc and __close share one idempotent function).
 */
#define _DEFAULT_SOURCE /* flock(2) and S_ISVTX are BSD/XSI, beyond _POSIX_C_SOURCE */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "hs.h"

/* ---- clocks (the engine takes time as an input; drivers read it here) ---- */

double hs_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double hs_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hs_sleep(double secs) {
  struct timespec ts, rem;
  if (!(secs > 0)) return;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

#define HS_LOCK_MT "helpscout.Lock"
#define HS_MAX_RANDOM 65536
#define HS_DEFAULT_FILE_MODE 0600
#define HS_DEFAULT_DIR_MODE 0700

/* Pushes nil, "<what> <path>: <OS reason>" and returns 2. */
static int os_fail(lua_State *L, const char *what, const char *path, int e) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s %s: %s", what, path, strerror(e));
  return 2;
}

static mode_t check_mode(lua_State *L, int arg, mode_t def) {
  lua_Integer m = luaL_optinteger(L, arg, (lua_Integer)def);
  luaL_argcheck(L, m >= 0 && m <= 0777, arg, "mode must be between 0 and 0777 (octal)");
  return (mode_t)m;
}

/* hmac_sha1(key, data) -> the raw 20-byte digest. Raises on non-string arguments. */
static int l_hmac_sha1(lua_State *L) {
  size_t klen, dlen;
  const char *key = luaL_checklstring(L, 1, &klen);
  const char *data = luaL_checklstring(L, 2, &dlen);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (klen > INT32_MAX) return luaL_argerror(L, 1, "key too long");
  if (!HMAC(EVP_sha1(), key, (int)klen, (const unsigned char *)data, dlen, md, &mdlen))
    return luaL_error(L, "hmac_sha1: libcrypto failed");
  lua_pushlstring(L, (const char *)md, mdlen);
  OPENSSL_cleanse(md, sizeof md);
  return 1;
}

/* base64(s) -> standard base64 with padding (RFC 4648 §4), no line breaks. */
static int l_base64(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char *out;
  int m;
  if (n > (size_t)INT32_MAX / 2) return luaL_argerror(L, 1, "string too long");
  out = lua_newuserdata(L, 4 * ((n + 2) / 3) + 1); /* collected with the stack: no leak on error */
  m = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  lua_pushlstring(L, out, (size_t)m);
  return 1;
}

static int b64_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

/* Strict form check: length a multiple of 4, alphabet only, '=' only as the last one or two. */
static int b64_valid(const unsigned char *s, size_t n, size_t *pad) {
  size_t i;
  *pad = 0;
  if (n % 4) return 0;
  if (n && s[n - 1] == '=') *pad = (n >= 2 && s[n - 2] == '=') ? 2 : 1;
  for (i = 0; i < n - *pad; i++)
    if (!b64_char(s[i])) return 0;
  return 1;
}

/* unbase64(s) -> the decoded bytes, or nil when s is not strict padded base64. */
static int l_unbase64(lua_State *L) {
  size_t n, pad;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
  unsigned char *out;
  int m;
  if (!b64_valid(s, n, &pad) || n > (size_t)INT32_MAX) {
    lua_pushnil(L);
    return 1;
  }
  if (n == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  out = lua_newuserdata(L, n / 4 * 3 + 1);
  m = EVP_DecodeBlock(out, s, (int)n); /* counts padding as zero bytes: removed below */
  if (m < 0 || (size_t)m < pad) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, (const char *)out, (size_t)m - pad);
  return 1;
}

/* equal(a, b) -> boolean. Time depends on the lengths only, never on the content. */
static int l_equal(lua_State *L) {
  size_t na, nb;
  const char *a = luaL_checklstring(L, 1, &na);
  const char *b = luaL_checklstring(L, 2, &nb);
  int same;
  if (na == nb) same = CRYPTO_memcmp(a, b, na) == 0;
  else {
    (void)CRYPTO_memcmp(a, a, na); /* same work as a comparison, result ignored */
    same = 0;
  }
  lua_pushboolean(L, same);
  return 1;
}

/* random(n) -> n bytes from the CSPRNG (0 <= n <= 65536), or nil, message. */
static int l_random(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  unsigned char *out;
  luaL_argcheck(L, n >= 0 && n <= HS_MAX_RANDOM, 1, "byte count must be between 0 and 65536");
  out = lua_newuserdata(L, (size_t)n + 1);
  if (n > 0 && RAND_bytes(out, (int)n) != 1) {
    lua_pushnil(L);
    lua_pushliteral(L, "random: the system random generator failed");
    return 2;
  }
  lua_pushlstring(L, (const char *)out, (size_t)n);
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* 0 when fd is a regular file owned by the effective user; else -1 with errno set. */
static int check_own_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  if (st.st_uid != geteuid()) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

/* Opens path with O_NOFOLLOW; pushes nil, message and returns -1 on failure (a symlink is named
 * as such, a file of another owner or kind too). */
static int open_own(lua_State *L, const char *path, int flags, mode_t mode, const char *what) {
  int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode), e;
  if (fd < 0) {
    e = errno;
    if (e == ELOOP) {
      lua_pushnil(L);
      lua_pushfstring(L, "%s %s: is a symbolic link (refused)", what, path);
    } else os_fail(L, what, path, e);
    errno = e;
    return -1;
  }
  if (check_own_file(fd) != 0) {
    e = errno;
    close(fd);
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", what, path, e == EPERM ? "owned by another user (refused)" :
                    e == EINVAL ? "not a regular file (refused)" : strerror(e));
    errno = e;
    return -1;
  }
  return fd;
}

#define HS_MAX_READ (1024 * 1024)

/* read_file(path) -> content, or nil, message, errno (ENOENT: no such file). At most 1 MiB. */
static int l_read_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_Buffer b;
  size_t total = 0;
  int fd = open_own(L, path, O_RDONLY, 0, "cannot read");
  if (fd < 0) {
    lua_pushinteger(L, errno);
    return 3;
  }
  luaL_buffinit(L, &b);
  for (;;) {
    char *p = luaL_prepbuffer(&b);
    ssize_t r = read(fd, p, LUAL_BUFFERSIZE);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return os_fail(L, "cannot read", path, e);
    }
    if (r == 0) break;
    total += (size_t)r;
    if (total > HS_MAX_READ) {
      close(fd);
      lua_pushnil(L);
      lua_pushfstring(L, "cannot read %s: larger than 1 MiB", path);
      return 2;
    }
    luaL_addsize(&b, (size_t)r);
  }
  close(fd);
  luaL_pushresult(&b);
  return 1;
}

/* Pushes the directory part of path ("." when none). */
static void push_dir(lua_State *L, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) lua_pushliteral(L, ".");
  else if (slash == path) lua_pushliteral(L, "/");
  else lua_pushlstring(L, path, (size_t)(slash - path));
}

/* Creates a fresh temporary file next to path (O_EXCL, exact mode); pushes its name. */
static int open_temp(lua_State *L, const char *path, mode_t mode) {
  int tries;
  for (tries = 0; tries < 16; tries++) {
    unsigned char r[8];
    int fd;
    if (RAND_bytes(r, sizeof r) != 1) {
      errno = EIO;
      return -1;
    }
    lua_pushfstring(L, "%s.tmp%d%d%d%d%d%d", path, r[0], r[1], r[2], r[3], r[4], r[5]);
    fd = open(lua_tostring(L, -1), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0) {
      if (fchmod(fd, mode) == 0) return fd; /* the umask must not loosen nor tighten it */
      close(fd);
      unlink(lua_tostring(L, -1));
      return -1;
    }
    lua_pop(L, 1);
    if (errno != EEXIST) return -1;
  }
  errno = EEXIST;
  return -1;
}

static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

/* write_file(path, data[, mode[, durable]]) -> true, or nil, message. Atomic: readers see the
 * old or the new content, never a part (a new file, O_EXCL|O_NOFOLLOW, renamed over path: a
 * symlink at path is replaced, never followed). Unless durable is false, the new content is on
 * disk (file and directory synced) on return. */
static int l_write_file(lua_State *L) {
  size_t n;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &n);
  mode_t mode = check_mode(L, 3, HS_DEFAULT_FILE_MODE);
  int durable = lua_isnoneornil(L, 4) || lua_toboolean(L, 4);
  const char *tmp;
  int fd, e;
  lua_settop(L, 4);
  push_dir(L, path); /* 5 */
  fd = open_temp(L, path, mode);
  if (fd < 0) return os_fail(L, "cannot create a temporary file in", lua_tostring(L, 5), errno);
  tmp = lua_tostring(L, 6);
  if (write_all(fd, data, n) != 0 || (durable && fsync(fd) != 0)) {
    e = errno;
    close(fd);
    unlink(tmp);
    return os_fail(L, "cannot write", tmp, e);
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    return os_fail(L, "cannot replace", path, e);
  }
  if (durable && sync_dir(lua_tostring(L, 5)) != 0)
    return os_fail(L, "cannot sync", lua_tostring(L, 5), errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* mkdir(path[, mode[, owned]]) -> true, or nil, message. An existing directory is accepted unless
 * others may write to it (a stranger could swap files in it) or, with owned, it belongs to
 * another user than the effective one; an existing non-directory is refused. */
static int l_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  mode_t mode = check_mode(L, 2, HS_DEFAULT_DIR_MODE);
  int owned = lua_toboolean(L, 3);
  struct stat st;
  if (mkdir(path, mode) == 0) {
    if (chmod(path, mode) != 0) return os_fail(L, "cannot set the mode of", path, errno);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (errno != EEXIST) return os_fail(L, "cannot create directory", path, errno);
  if (stat(path, &st) != 0) return os_fail(L, "cannot inspect", path, errno);
  lua_pushnil(L);
  if (!S_ISDIR(st.st_mode)) lua_pushfstring(L, "%s exists and is not a directory", path);
  else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
    lua_pushfstring(L, "directory %s is writable by other users", path);
  else if (owned && st.st_uid != geteuid())
    lua_pushfstring(L, "directory %s belongs to another user (refused)", path);
  else {
    lua_pushboolean(L, 1);
    return 1;
  }
  return 2;
}

typedef struct hs_lock {
  int fd;
} hs_lock;

static int lock_release(lua_State *L) {
  hs_lock *k = luaL_checkudata(L, 1, HS_LOCK_MT);
  if (k->fd >= 0) {
    flock(k->fd, LOCK_UN);
    close(k->fd);
    k->fd = -1;
  }
  return 0;
}

/* lock(path, timeout_seconds) -> a lock object (method unlock), or nil, "timeout", or nil,
 * message. The file (O_NOFOLLOW, a regular file of the effective user) is created (0600) when missing and never removed: removing it would let two
 * processes lock two different files of the same name. */
static int l_lock(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  double timeout = (double)luaL_checknumber(L, 2), deadline = hs_now() + timeout;
  hs_lock *k = lua_newuserdata(L, sizeof *k); /* born closed */
  k->fd = -1;
  luaL_getmetatable(L, HS_LOCK_MT);
  lua_setmetatable(L, -2);
  k->fd = open_own(L, path, O_RDWR | O_CREAT, HS_DEFAULT_FILE_MODE, "cannot open lock file");
  if (k->fd < 0) return 2;
  while (flock(k->fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e != EWOULDBLOCK && e != EINTR) {
      close(k->fd);
      k->fd = -1;
      return os_fail(L, "cannot lock", path, e);
    }
    if (hs_now() >= deadline) {
      close(k->fd);
      k->fd = -1;
      lua_pushnil(L);
      lua_pushliteral(L, "timeout");
      return 2;
    }
    hs_sleep(0.005);
  }
  return 1;
}

static int lock_tostring(lua_State *L) {
  hs_lock *k = luaL_checkudata(L, 1, HS_LOCK_MT);
  lua_pushstring(L, k->fd >= 0 ? "helpscout.Lock (held)" : "helpscout.Lock (released)");
  return 1;
}

/* now() -> wall-clock epoch seconds with a fraction; sleep(seconds). */
static int l_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)hs_epoch());
  return 1;
}

static int l_sleep(lua_State *L) {
  hs_sleep((double)luaL_checknumber(L, 1));
  return 0;
}

/* ---- processes (a lock's holder is named by host and pid, so a waiter on the same host can
 * tell a dead holder from a slow one and take its lock over) ---- */

/* pid() -> this process's id; hostname() -> this host's name (or nil, message). */
static int l_pid(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)getpid());
  return 1;
}

static int l_hostname(lua_State *L) {
  char name[256];
  if (gethostname(name, sizeof name - 1) != 0) return os_fail(L, "cannot read", "the host name", errno);
  name[sizeof name - 1] = '\0';
  lua_pushstring(L, name);
  return 1;
}

/* A zombie (killed, not yet reaped by its parent) still answers kill(pid, 0) but will never
 * release anything: Linux shows it as state 'Z' in /proc/<pid>/stat ("pid (comm) S ...", comm
 * may hold ')' so the state follows the last one). Without /proc: not a zombie. */
static int is_zombie(lua_Integer pid) {
  char path[64], buf[512];
  ssize_t n;
  int fd;
  char *close_paren;
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  close_paren = strrchr(buf, ')');
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

/* alive(pid) -> false when no process has that id (ESRCH) or it is a zombie (dead, not reaped);
 * a process of another user (EPERM) is alive. Non-positive ids raise: kill(0) and kill(-1) mean
 * process groups. */
static int l_alive(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  luaL_argcheck(L, pid > 0, 1, "pid must be positive");
  lua_pushboolean(L, (kill((pid_t)pid, 0) == 0 || errno != ESRCH) && !is_zombie(pid));
  return 1;
}

/* list_dir(path) -> array of entry names (without "." and ".."), or nil, message. */
static int l_list_dir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  struct dirent *ent;
  int n = 0;
  if (!d) return os_fail(L, "cannot list", path, errno);
  lua_newtable(L);
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    lua_pushstring(L, ent->d_name);
    lua_rawseti(L, -2, ++n);
  }
  closedir(d);
  return 1;
}

/* sys.read(fd, max, timeout?) -> up to max (1..65536) bytes of what fd has now, waiting at most
 * timeout seconds (nil or negative: until something arrives); "" when nothing arrived in time;
 * nil, "eof" at end of input; nil, message on failure. One read(2) per call: what a line reader
 * over a pipe needs to poll without blocking (stdio's buffer would hide what it already holds). */
static int l_read(lua_State *L) {
  char buf[65536];
  lua_Integer fd = luaL_checkinteger(L, 1);
  lua_Integer max = luaL_checkinteger(L, 2);
  double timeout = luaL_optnumber(L, 3, -1.0);
  struct pollfd p;
  ssize_t n;
  int r;
  luaL_argcheck(L, fd >= 0 && fd <= 1 << 20, 1, "not a file descriptor");
  luaL_argcheck(L, max >= 1 && max <= (lua_Integer)sizeof buf, 2, "max must be between 1 and 65536");
  p.fd = (int)fd;
  p.events = POLLIN;
  p.revents = 0;
  do r = poll(&p, 1, timeout < 0 ? -1 : (int)(timeout * 1000.0 + 0.5));
  while (r < 0 && errno == EINTR);
  if (r < 0) return os_fail(L, "cannot poll", "input", errno);
  if (r == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  do n = read(p.fd, buf, (size_t)max);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    lua_pushliteral(L, "");
    return 1;
  }
  if (n < 0) return os_fail(L, "cannot read", "input", errno);
  if (n == 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "eof");
    return 2;
  }
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

static void lock_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"unlock", lock_release}, {NULL, NULL}};
  if (luaL_newmetatable(L, HS_LOCK_MT)) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, lock_release);
    lua_setfield(L, -2, "__gc");
#if LUA_VERSION_NUM >= 504
    lua_pushcfunction(L, lock_release);
    lua_setfield(L, -2, "__close");
#endif
    lua_pushcfunction(L, lock_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
}

/* sha256(data) -> the raw 32-byte SHA-256 digest (the connector stores its tokens hashed). */
static int l_sha256(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return luaL_error(L, "sha256: libcrypto failed");
  lua_pushlstring(L, (const char *)md, mdlen);
  OPENSSL_cleanse(md, sizeof md);
  return 1;
}

/* Pushes the core.sys table. */
int hs_sys_open(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"hmac_sha1", l_hmac_sha1}, {"base64", l_base64},         {"unbase64", l_unbase64},
    {"equal", l_equal},         {"random", l_random},         {"write_file", l_write_file},
    {"read_file", l_read_file},
    {"mkdir", l_mkdir},         {"lock", l_lock},             {"now", l_now},
    {"sleep", l_sleep},         {"read", l_read},             {"pid", l_pid},
    {"alive", l_alive},         {"hostname", l_hostname},     {"list_dir", l_list_dir},
    {"sha256", l_sha256},
    {NULL, NULL}};
  lock_open(L);
  lua_newtable(L);
  luaL_setfuncs(L, fns, 0);
  return 1;
}
