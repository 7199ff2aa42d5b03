/* Workloads for bench/runtime.sh.
 *   runtime_loops spawn N          posix_spawn + wait of /bin/true, N times; prints us/op
 *   runtime_loops open N           open + close of /etc/hostname, N times; prints us/op
 *   runtime_loops storm RATE SECS  opens of /etc/hostname paced at RATE/s; prints the count
 * Each open of a path under /etc is an event the sensor reports, so the storm is an event
 * storm of RATE events/s. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void open_once(void)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("open");
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
		double t0 = now_us();
		for (long i = 0; i < n; i++) {
			pid_t pid;
			if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) {
				perror("posix_spawn");
				return 1;
			}
			waitpid(pid, NULL, 0);
		}
		printf("%.3f\n", (now_us() - t0) / n);
	} else if (strcmp(argv[1], "open") == 0) {
		double t0 = now_us();
		for (long i = 0; i < n; i++)
			open_once();
		printf("%.3f\n", (now_us() - t0) / n);
	} else if (strcmp(argv[1], "storm") == 0 && argc == 4) {
		double secs = atof(argv[3]);
		double t0 = now_us(), end = t0 + secs * 1e6;
		long done = 0;
		/* Pace in 1 ms slices: RATE/1000 opens, then wait for the slice to end. */
		long per_ms = n / 1000;
		for (double slice = t0; slice < end; slice += 1000) {
			for (long i = 0; i < per_ms; i++)
				open_once();
			done += per_ms;
			while (now_us() < slice + 1000)
				;
		}
		double took = (now_us() - t0) / 1e6;
		printf("%ld %.0f\n", done, done / took);
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
