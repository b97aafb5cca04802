#ifndef VOUCH_CLIBBPF_SHIM_H
#define VOUCH_CLIBBPF_SHIM_H
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#endif
