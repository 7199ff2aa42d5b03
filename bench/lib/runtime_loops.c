/* Workloads for bench/runtime.sh.
 *   runtime_loops spawn N          posix_spawn + wait of /bin/true, N times
 *   runtime_loops open N           open + close of /etc/hostname, N times
 *                                  both print wall-clock us/op, then CPU us/op (user + system
 *                                  time of the loop and its children: what the kernel's hooks
 *                                  add in the workload's own context, whatever else the machine
 *                                  runs)
 *   runtime_loops storm RATE SECS  opens for writing of a file in /tmp paced at RATE/s; prints
 *                                  the count
 * The open/close loop reads /etc/hostname, which no stable rule can match: `osprey runtime
 * run` drops those opens in the kernel, which is what that loop measures. The stable rules do
 * look at opens for writing whatever the path, so every storm open reaches userspace and the
 * storm is an event storm of RATE events/s through the ring, enrichment and rules. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* User + system CPU time of this process and its reaped children, in microseconds. */
static double cpu_us(void)
{
	struct rusage self, children;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	double us = 0;
	const struct rusage *all[] = {&self, &children};
	for (int i = 0; i < 2; i++)
		us += all[i]->ru_utime.tv_sec * 1e6 + all[i]->ru_utime.tv_usec + all[i]->ru_stime.tv_sec * 1e6 +
		      all[i]->ru_stime.tv_usec;
	return us;
}

static void open_once(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s spawn N | open N | storm RATE SECS\n", argv[0]);
		return 2;
	}
	long n = atol(argv[2]);
	if (strcmp(argv[1], "spawn") == 0) {
		char *args[] = {"/bin/true", NULL};
		double t0 = now_us(), c0 = cpu_us();
		for (long i = 0; i < n; i++) {
			pid_t pid;
			if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) {
				perror("posix_spawn");
				return 1;
			}
			waitpid(pid, NULL, 0);
		}
		printf("%.3f %.3f\n", (now_us() - t0) / n, (cpu_us() - c0) / n);
	} else if (strcmp(argv[1], "open") == 0) {
		double t0 = now_us(), c0 = cpu_us();
		for (long i = 0; i < n; i++)
			open_once("/etc/hostname", O_RDONLY);
		printf("%.3f %.3f\n", (now_us() - t0) / n, (cpu_us() - c0) / n);
	} else if (strcmp(argv[1], "storm") == 0 && argc == 4) {
		double secs = atof(argv[3]);
		double t0 = now_us(), end = t0 + secs * 1e6;
		long done = 0;
		/* Pace in 1 ms slices: RATE/1000 opens, then wait for the slice to end. */
		long per_ms = n / 1000;
		char storm_file[64];
		snprintf(storm_file, sizeof(storm_file), "/tmp/osprey-storm-%d", (int)getpid());
		for (double slice = t0; slice < end; slice += 1000) {
			for (long i = 0; i < per_ms; i++)
				open_once(storm_file, O_WRONLY | O_CREAT);
			done += per_ms;
			while (now_us() < slice + 1000)
				;
		}
		double took = (now_us() - t0) / 1e6;
		unlink(storm_file);
		printf("%ld %.0f\n", done, done / took);
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
