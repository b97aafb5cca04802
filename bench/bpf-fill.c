/* Creates BPF maps for bench/50-bpf.sh and pins them, so they outlive this process.
 *   bpf-fill big N PINPATH     one hash map, u32 key, 64-byte value, N entries (batch update); prints its id
 *   bpf-fill many N PINDIR     N small hash maps (one entry each), pinned as PINDIR/m<i>
 * Contents are deterministic: key i, value = 64 bytes derived from i. */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: bpf-fill big|many N PIN\n"); return 2; }
    long n = atol(argv[2]);
    LIBBPF_OPTS(bpf_map_create_opts, opts);
    if (!strcmp(argv[1], "big")) {
        int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "vouch_bench", 4, 64, (unsigned)n, &opts);
        if (fd < 0) { fprintf(stderr, "bpf_map_create: %s\n", strerror(-fd)); return 1; }
        const long chunk = 65536;
        unsigned *keys = malloc(chunk * 4);
        unsigned char *vals = malloc(chunk * 64);
        for (long base = 0; base < n; base += chunk) {
            unsigned cnt = (unsigned)(n - base < chunk ? n - base : chunk);
            for (unsigned j = 0; j < cnt; j++) {
                unsigned k = (unsigned)(base + j);
                keys[j] = k;
                for (int b = 0; b < 64; b++) vals[j * 64 + b] = (unsigned char)(k * 31 + b * 7);
            }
            int rc = bpf_map_update_batch(fd, keys, vals, &cnt, NULL);
            if (rc) { fprintf(stderr, "bpf_map_update_batch: %s\n", strerror(-rc)); return 1; }
        }
        if (bpf_obj_pin(fd, argv[3])) { perror("bpf_obj_pin"); return 1; }
        struct bpf_map_info info = {0};
        unsigned len = sizeof(info);
        bpf_obj_get_info_by_fd(fd, &info, &len);
        printf("%u\n", info.id);
        return 0;
    }
    for (long i = 0; i < n; i++) {
        int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "vouch_many", 4, 8, 4, &opts);
        if (fd < 0) { fprintf(stderr, "bpf_map_create: %s\n", strerror(-fd)); return 1; }
        unsigned k = (unsigned)i; unsigned long long v = (unsigned long long)i * 3;
        bpf_map_update_elem(fd, &k, &v, BPF_ANY);
        char path[4096];
        snprintf(path, sizeof(path), "%s/m%ld", argv[3], i);
        if (bpf_obj_pin(fd, path)) { perror("bpf_obj_pin"); return 1; }
        close(fd);
    }
    return 0;
}
