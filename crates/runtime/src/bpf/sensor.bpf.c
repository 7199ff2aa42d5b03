// SPDX-License-Identifier: GPL-2.0
/* Osprey runtime sensor.
 *
 * Hooks raw tracepoints only (this kernel class has no kprobes and refuses fentry/LSM):
 *   sched_process_exec / sched_process_fork / sched_process_exit  - the process tree
 *   sys_exit                                                      - syscalls of interest
 * Syscall arguments are read at exit from the saved user registers (x86-64 keeps them in
 * pt_regs for the whole call), which pairs them with the result without a sys_enter hook:
 * that hook would cost every syscall on the machine. Paths are read at exit too, when the
 * kernel has just faulted the pages in to copy them.
 *
 * Which syscalls matter and how to read their arguments is a table written by userspace
 * (`layouts`), so the set can follow the loaded rules. Records go to one ring buffer with
 * wake-ups batched: the consumer is woken only when WAKEUP_BYTES are pending, otherwise it
 * drains on its poll timeout. Losses are counted per CPU, never silent.
 *
 * The kernel requires a GPL-compatible licence string for the tracing helpers used here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

#define WAKEUP_BYTES (256 * 1024)
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* Set by the loader before load: the sensor's own process is never traced. */
const volatile __u32 self_tgid = 0;
/* Set by the loader for the diagnostic floor measurement (`osprey runtime run --empty-hooks`):
 * every program returns at once, so what remains is the kernel's cost of the attach points.
 * The value is frozen read-only data, so the verifier removes the branch not taken. */
const volatile __u8 empty_hooks = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, struct syscall_layout);
} layouts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Paths the loaded rules can match, per kind of open (see prefilter.rs); consulted only for
 * the syscalls whose layout asks for it. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct path_key);
	__type(value, __u8);
} open_paths SEC(".maps");

/* The key of an `open_paths` lookup, built where the path is read. The spare bytes after it
 * let the read take one byte more than the key holds, which tells a path that fits from a cut
 * one, and let the word scan of may_be_unnormal() read whole words at the end. */
struct path_scratch_value {
	struct path_key key;
	__u8 spare[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch_value);
} path_scratch SEC(".maps");

union scratch_record {
	struct syscall_record sys;
	struct exec_record exec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union scratch_record);
} scratch SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &index);
	if (v)
		*v += 1;
}

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
									   : BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&events, rec, size, wake_flag()) == 0)
		count(STAT_SUBMITTED);
	else
		count(STAT_RING_DROPS);
}

static __always_inline __u32 ns_pid(struct pid *pid)
{
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid = {};
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level & 31]);
	return upid.nr;
}

static __always_inline void fill_header(struct record_header *h, __u32 kind, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct pid *leader_pid = BPF_CORE_READ(leader, thread_pid);

	h->kind = kind;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->uid = BPF_CORE_READ(cred, uid.val);
	h->gid = BPF_CORE_READ(cred, gid.val);
	h->euid = BPF_CORE_READ(cred, euid.val);
	if (bpf_core_field_exists(task->loginuid))
		h->loginuid = BPF_CORE_READ(task, loginuid.val);
	else
		h->loginuid = (__u32)-1;
	h->cap_effective = BPF_CORE_READ(cred, cap_effective.val);
	h->cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
	h->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	h->pid_ns = BPF_CORE_READ(task, nsproxy, pid_ns_for_children, ns.inum);
	h->vpid = ns_pid(leader_pid);
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline __u32 tty_dev(struct task_struct *task)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (!tty)
		return 0;
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	/* new_encode_dev, the encoding of /proc/PID/stat's tty_nr */
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

/* Kernels before 6.15 call the field `parent`. */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
};

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

static __always_inline void cgroup_names(struct kernfs_node *leaf, char *parent_out, char *leaf_out)
{
	if (!leaf)
		return;
	bpf_probe_read_kernel_str(leaf_out, CGROUP_NAME_MAX, BPF_CORE_READ(leaf, name));
	struct kernfs_node *parent = kn_parent(leaf);
	if (parent)
		bpf_probe_read_kernel_str(parent_out, CGROUP_NAME_MAX, BPF_CORE_READ(parent, name));
}

SEC("raw_tracepoint/sched_process_exec")
int handle_exec(struct bpf_raw_tracepoint_args *ctx)
{
	if (empty_hooks)
		return 0;
	__u64 *args = (__u64 *)ctx;
	struct linux_binprm *bprm = (struct linux_binprm *)args[2];
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	union scratch_record *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct exec_record *r = &s->exec;
	fill_header(&r->h, REC_EXEC, task);

	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	r->nr = BPF_CORE_READ(regs, orig_ax);
	r->tty = tty_dev(task);
	r->sid = BPF_CORE_READ(task, signal, pids[PIDTYPE_SID], numbers[0].nr);
	r->vpgid = ns_pid(BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID]));

	long n = bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
	if (n < 0) {
		count(STAT_UNREADABLE);
		n = 0;
	}
	r->filename_len = n;

	const unsigned char *dname = BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name);
	n = bpf_probe_read_kernel_str(r->exe_name, sizeof(r->exe_name), dname);
	r->exe_name_len = n < 0 ? 0 : n;

	__builtin_memset(r->cgroup, 0, sizeof(r->cgroup));
	struct css_set *cgroups = BPF_CORE_READ(task, cgroups);
	cgroup_names(BPF_CORE_READ(cgroups, dfl_cgrp, kn), r->cgroup[0], r->cgroup[1]);
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (memory_id >= 0 && memory_id < 12) {
		struct cgroup_subsys_state *css = BPF_CORE_READ(cgroups, subsys[memory_id]);
		if (css)
			cgroup_names(BPF_CORE_READ(css, cgroup, kn), r->cgroup[2], r->cgroup[3]);
	}

	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 start = BPF_CORE_READ(mm, arg_start);
	__u64 end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	if (len > ARGV_MAX - 1)
		len = ARGV_MAX - 1; /* a longer command line is cut, as /proc/PID/cmdline readers see it */
	len &= ARGV_MAX - 1;
	if (len && bpf_probe_read_user(r->argv, len, (void *)start) != 0) {
		count(STAT_UNREADABLE);
		len = 0;
	}
	r->argv_len = len;
	submit(r, offsetof(struct exec_record, argv) + len);
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int handle_fork(struct bpf_raw_tracepoint_args *ctx)
{
	if (empty_hooks)
		return 0;
	__u64 *args = (__u64 *)ctx;
	struct task_struct *child = (struct task_struct *)args[1];
	struct fork_record r = {};

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid) /* a new thread: the process tree is unchanged */
		return 0;
	fill_header(&r.h, REC_FORK, (struct task_struct *)bpf_get_current_task());
	r.child_tgid = child_tgid;
	submit(&r, sizeof(r));
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int handle_exit(struct bpf_raw_tracepoint_args *ctx)
{
	if (empty_hooks)
		return 0;
	struct record_header h = {};
	__u64 id = bpf_get_current_pid_tgid();
	if ((id >> 32) == self_tgid || (__u32)id != (id >> 32)) /* only the thread-group leader */
		return 0;
	fill_header(&h, REC_EXIT, (struct task_struct *)bpf_get_current_task());
	submit(&h, sizeof(h));
	return 0;
}

static __always_inline void read_sock(struct task_struct *task, long fd, struct sock_tuple *out)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *file = NULL;

	if (fd < 0 || fd >= max)
		return;
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	if (!file)
		return;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	out->sock_type = BPF_CORE_READ(sk, sk_type);
	out->protocol = BPF_CORE_READ(sk, sk_protocol);
	out->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	out->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (out->family == AF_INET) {
		bpf_core_read(out->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(out->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (out->family == AF_INET6) {
		bpf_core_read(out->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(out->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

static __always_inline __u32 read_str_arg(char *dst, __s8 index, __u64 *args)
{
	if (index < 0 || index > 5)
		return 0;
	const char *ptr = (const char *)args[index & 7];
	if (!ptr)
		return 0;
	long n = bpf_probe_read_user_str(dst, STR_MAX, ptr);
	if (n < 0) {
		count(STAT_UNREADABLE);
		return 0;
	}
	return n;
}

/* 0x80 in each byte of `w` equal to the byte repeated in `pattern`, 0 elsewhere (exact: the
 * low seven bits are added without carrying into the next byte). */
static __always_inline __u64 bytes_equal(__u64 w, __u64 pattern)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7fULL;
	__u64 x = w ^ pattern;
	return ~(((x & low7) + low7) | x | low7);
}

/* Whether `path` (`len` bytes, NUL included, at most MAX_FILTERED_PATH + 1) has a `/` or `.`
 * followed by a `/` or `.`: every path not in normal form has one. Eight bytes at a time,
 * the words overlapping by one byte so that every pair of neighbours is inside one word. */
static __always_inline int may_be_unnormal(const char *path, __u32 len)
{
	for (__u32 k = 0; k < (MAX_FILTERED_PATH + 6) / 7; k++) {
		__u32 at = 7 * k;
		if (at + 2 >= len)
			break;
		__u64 w = *(const __u64 *)(path + at);
		__u64 marks = bytes_equal(w, 0x2f2f2f2f2f2f2f2fULL) | bytes_equal(w, 0x2e2e2e2e2e2e2e2eULL);
		__u64 pairs = marks & (marks >> 8);
		__u32 valid = len - 2 - at; /* pairs starting before the path's last byte */
		if (valid < 8)
			pairs &= (1ULL << (valid * 8)) - 1;
		if (pairs)
			return 1;
	}
	return 0;
}

/* Whether an open of a path (`len` bytes read, NUL included) may matter to a rule. Only an
 * absolute path in normal form (no empty, `.` or `..` parts, no trailing slash, not cut) is
 * what `fd.name` will be, so only such a path is looked up; any other is forwarded. `key`
 * holds the path from data[1] on, as read; data[0] is set here. */
static __always_inline int path_wanted(struct path_key *key, __u32 len, int writing)
{
	const char *path = (const char *)&key->data[1];

	if (len < 3 || len > MAX_FILTERED_PATH + 1 || path[0] != '/')
		return 1;
	if (path[(len - 2) & 0xff] == '/')
		return 1;
	/* The exact test byte by byte, only for the few paths the word scan cannot clear. */
	if (may_be_unnormal(path, len)) {
		for (__u32 i = 0; i < MAX_FILTERED_PATH; i++) {
			if (i + 2 >= len)
				break;
			char c = path[i], n = path[i + 1];
			if ((c == '.' && n == '.') || (c == '/' && n == '/'))
				return 1;
			if (c == '/' && n == '.') {
				char after = path[i + 2];
				if (after == '/' || after == 0)
					return 1;
			}
		}
	}
	key->data[0] = writing ? 'w' : 'r';
	key->prefixlen = (len + 1) * 8;
	return bpf_map_lookup_elem(&open_paths, key) != 0;
}

/* Whether the `open_paths` table applies to this open (its kind of open is filtered), and
 * whether it writes. */
static __always_inline int open_filter_applies(const struct syscall_layout *layout,
					       const struct syscall_record *r, int *writing)
{
	__u8 pf = layout->path_filter;
	__u8 where = pf & PATH_FILTER_FLAGS_MASK;
	__u64 flags = 0;

	if (!where)
		return 0;
	if (where == PATH_FILTER_ALWAYS_WRITING)
		*writing = 1;
	else {
		if (where == PATH_FILTER_FLAGS_OPEN_HOW)
			flags = r->extra[0];
		else if (where <= 6)
			flags = r->args[(where - 1) & 7];
		*writing = (flags & 3) != 0; /* O_ACCMODE other than O_RDONLY */
	}
	return (pf & (*writing ? PATH_FILTER_WRITING : PATH_FILTER_READ_ONLY)) != 0;
}

/* Reads slot 0 of an open the `open_paths` table applies to. The path is read straight into
 * the table's key, so that an open no rule can match (the common case) costs one read of
 * the path and no copy; returns -1 for such an open, else the bytes now in slot 0. A path
 * too long for the key is read again in full. */
static __always_inline long read_open_path(struct syscall_record *r, __s8 index, int writing)
{
	__u32 zero = 0;
	struct path_scratch_value *scratch = bpf_map_lookup_elem(&path_scratch, &zero);

	if (!scratch || index < 0 || index > 5 || !r->args[index & 7])
		return read_str_arg(r->data, index, r->args);
	struct path_key *key = &scratch->key;
	long n = bpf_probe_read_user_str(&key->data[1], PATH_KEY_BYTES, (const char *)r->args[index & 7]);
	/* unreadable (counted by the second read), or longer than the key holds */
	if (n <= 0 || n > MAX_FILTERED_PATH + 1)
		return read_str_arg(r->data, index, r->args);
	if (!path_wanted(key, n, writing))
		return -1;
	if (bpf_probe_read_kernel(r->data, n & 0xff, &key->data[1]) != 0)
		return read_str_arg(r->data, index, r->args);
	return n;
}

/* Runs on every syscall exit of the machine, so the common case (a syscall no rule names)
 * must cost as little as possible: the BTF-typed tracepoint reads the syscall number straight
 * from pt_regs, with no helper call, and the table lookup is the first thing done. */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	if (empty_hooks)
		return 0;
	__u32 zero = 0;
	__u32 nr = regs->orig_ax;
	if (nr >= SYSCALL_SLOTS)
		return 0;
	struct syscall_layout *layout = bpf_map_lookup_elem(&layouts, &nr);
	if (!layout || !layout->enabled)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;

	union scratch_record *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct syscall_record *r = &s->sys;
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->r10;
	r->args[4] = regs->r8;
	r->args[5] = regs->r9;
	r->extra[0] = 0;
	r->extra[1] = 0;

	__u8 flags = layout->flags;
	__s8 str0 = layout->str_arg[0];
	__s8 str1 = layout->str_arg[1];

	if (flags & LAYOUT_OPEN_HOW_ARG2) {
		if (bpf_probe_read_user(r->extra, sizeof(r->extra), (void *)r->args[2]) != 0)
			count(STAT_UNREADABLE);
	}
	/* Decided before the header is filled: a dropped open costs only the path's read. */
	int writing = 0;
	__u32 len0;
	if (open_filter_applies(layout, r, &writing)) {
		long n = read_open_path(r, str0, writing);
		if (n < 0) {
			count(STAT_PATH_FILTERED);
			return 0;
		}
		len0 = n;
	} else {
		len0 = read_str_arg(r->data, str0, r->args);
	}
	count(STAT_SYSCALLS);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_header(&r->h, REC_SYSCALL, task);
	r->nr = nr;
	r->ret = ret;
	__builtin_memset(&r->sock, 0, sizeof(r->sock));

	__u32 off = len0 & (STR_MAX - 1);
	if (len0 == STR_MAX)
		off = STR_MAX - 1; /* keep one byte of slot 0 spare; slot 1 starts right after */
	__u32 len1 = 0;
	if (flags & LAYOUT_SOCKADDR_ARG1) {
		__u64 addrlen = r->args[2];
		if (addrlen > 128)
			addrlen = 128;
		if (r->args[1] && addrlen &&
		    bpf_probe_read_user(&r->data[off], addrlen & 255, (void *)r->args[1]) == 0)
			len1 = addrlen;
	} else {
		len1 = str1 >= 0 ? read_str_arg(&r->data[off], str1, r->args) : 0;
	}
	r->len[0] = off;
	r->len[1] = len1;

	if (flags & LAYOUT_SOCK_ARG0)
		read_sock(task, (long)r->args[0], &r->sock);
	else if ((flags & LAYOUT_SOCK_RET) && r->ret >= 0)
		read_sock(task, (long)r->ret, &r->sock);

	__u64 size = offsetof(struct syscall_record, data) + off + len1;
	if (size > sizeof(*r))
		size = sizeof(*r);
	submit(r, size);
	return 0;
}
