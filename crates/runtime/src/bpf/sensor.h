/* Wire format between the BPF programs (sensor.bpf.c) and userspace (src/sensor/wire.rs).
 * Every struct is naturally aligned with explicit padding so the Rust mirror is a plain
 * #[repr(C)] copy; change both sides together. */
#ifndef OSPREY_SENSOR_H
#define OSPREY_SENSOR_H

#define COMM_LEN 16
/* One string slot; a record carries at most two, each cut at STR_MAX - 1 bytes. */
#define STR_MAX 1024
/* argv bytes copied at exec (NUL-separated, as in /proc/PID/cmdline). */
#define ARGV_MAX 2048
#define EXE_NAME_MAX 64
/* A cgroup directory name (`libpod-<64 hex>`, `cri-containerd-<64 hex>.scope`, ...). */
#define CGROUP_NAME_MAX 128
#define SYSCALL_SLOTS 512

enum record_kind {
	REC_EXEC = 1,
	REC_FORK = 2,
	REC_EXIT = 3,
	REC_SYSCALL = 4,
};

/* Per-CPU counters, read by userspace and summed over CPUs. */
enum stat_index {
	STAT_SUBMITTED = 0,   /* records written to the ring */
	STAT_RING_DROPS = 1,  /* ring full: record lost */
	STAT_UNREADABLE = 2,  /* user or kernel memory that could not be read (value left empty) */
	STAT_SYSCALLS = 3,    /* syscall exits that passed the in-kernel filter */
	STAT_PATH_FILTERED = 4, /* opens of paths no loaded rule can match, dropped in the kernel */
	STAT_COUNT = 5,
};

/* How the exit handler treats one syscall number; written by userspace before load. */
struct syscall_layout {
	__u8 enabled;
	__s8 str_arg[2];   /* argument index read as a user string into slot 0/1, -1 for none */
	__u8 flags;        /* LAYOUT_* */
	__u8 path_filter;  /* PATH_FILTER_*: an open whose slot-0 path the `open_paths` table filters */
	__u8 _pad[3];
};

/* Low nibble of path_filter: where the open flags are. 1..6: argument 0..5; then: */
#define PATH_FILTER_FLAGS_OPEN_HOW 7   /* struct open_how at argument 2 (read into `extra`) */
#define PATH_FILTER_ALWAYS_WRITING 8   /* creat */
#define PATH_FILTER_FLAGS_MASK 0x0f
/* High bits: which kinds of open the table filters; the others are always forwarded. */
#define PATH_FILTER_READ_ONLY 0x10     /* O_RDONLY access */
#define PATH_FILTER_WRITING 0x20       /* any other access */

/* Key of the `open_paths` longest-prefix-match table: 'r' or 'w' (the kind of open), then
 * the path and, for an exact entry, its NUL. */
#define PATH_KEY_BYTES 256
#define MAX_FILTERED_PATH (PATH_KEY_BYTES - 2)
struct path_key {
	__u32 prefixlen;   /* in bits */
	__u8 data[PATH_KEY_BYTES];
};

#define LAYOUT_SOCK_ARG0 0x01       /* socket tuple of the fd in argument 0 */
#define LAYOUT_SOCK_RET 0x02        /* socket tuple of the fd returned */
#define LAYOUT_SOCKADDR_ARG1 0x04   /* raw sockaddr at argument 1 (length argument 2) into slot 1 */
#define LAYOUT_OPEN_HOW_ARG2 0x08   /* struct open_how at argument 2: flags/mode into `extra` */

struct record_header {
	__u32 kind;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u64 ts_boot_ns;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 loginuid;
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 mnt_ns;
	__u32 vpid;
	__u32 pid_ns;
	char comm[COMM_LEN];
};

struct sock_tuple {
	__u16 family;      /* AF_INET, AF_INET6, AF_UNIX, 0 when the fd is no socket */
	__u16 sock_type;   /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol;    /* IPPROTO_TCP, ... */
	__u16 lport;       /* host order */
	__u16 rport;       /* host order */
	__u16 _pad[3];
	__u8 laddr[16];    /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

struct syscall_record {
	struct record_header h;
	__u32 nr;
	__u16 len[2];      /* bytes in each string slot, including the NUL; 0 when absent */
	__s64 ret;
	__u64 args[6];
	__u64 extra[2];    /* open_how flags and mode for openat2 */
	struct sock_tuple sock;
	char data[2 * STR_MAX];   /* slot 0 then slot 1, packed */
};

struct exec_record {
	struct record_header h;
	__u32 nr;          /* syscall that performed the exec (execve or execveat) */
	__u32 tty;         /* new_encode_dev of the controlling tty, 0 for none */
	__u32 sid;
	__u32 vpgid;
	__u16 filename_len;
	__u16 exe_name_len;
	__u16 argv_len;
	__u16 _pad;
	char exe_name[EXE_NAME_MAX];  /* dentry name of the executed file (memfd:NAME for memfds) */
	/* Container attribution: parent and leaf directory names of the task's cgroup in the
	 * default (v2) hierarchy, then in the v1 memory hierarchy; empty where absent. */
	char cgroup[4][CGROUP_NAME_MAX];
	char filename[STR_MAX];
	char argv[ARGV_MAX];
};

struct fork_record {
	struct record_header h;   /* the parent */
	__u32 child_tgid;
	__u32 _pad;
};

/* Pinned in src/sensor/wire.rs (record_sizes_match_the_c_layout). */
_Static_assert(sizeof(struct record_header) == 88, "record_header layout");
_Static_assert(sizeof(struct sock_tuple) == 48, "sock_tuple layout");
_Static_assert(__builtin_offsetof(struct syscall_record, data) == 216, "syscall_record layout");
_Static_assert(__builtin_offsetof(struct exec_record, argv) == 1712, "exec_record layout");
_Static_assert(sizeof(struct fork_record) == 96, "fork_record layout");
_Static_assert(sizeof(struct syscall_layout) == 8, "syscall_layout layout");
_Static_assert(sizeof(struct path_key) == 260, "path_key layout");

#endif
