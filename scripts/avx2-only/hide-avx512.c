/*
 * LD_PRELOAD shim: makes this CPU report AVX2 + FMA but no AVX-512, VNNI (AVX-512 or AVX) or AMX,
 * so onnxruntime (MLAS), oneDNN, XNNPACK and V8 take the code paths of an AVX2-only CPU such as
 * AMD Zen 3. It enables Linux CPUID faulting (arch_prctl ARCH_SET_CPUID, needs the `cpuid_fault`
 * flag) and answers each faulting CPUID itself with those feature bits cleared. The dynamic loader
 * has already run CPUID once before this constructor, so glibc's own string routines may still use
 * AVX-512; everything that picks kernels later (the libraries we measure) sees the masked bits.
 * Faulting is inherited by threads and reset by execve; LD_PRELOAD re-arms it in every child.
 * Programs install SIGSEGV handlers of their own (Node resets every handler at start, V8 traps
 * WebAssembly faults), so sigaction() is interposed: ours stays installed, and theirs, recorded
 * here, gets every fault that is not a CPUID.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static sigaction_fn real_sigaction;
/* The SIGSEGV disposition the program believes is installed (zeroed = SIG_DFL). */
static struct sigaction program_segv;

static int set_cpuid(int enabled) { return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled); }

static void mask(unsigned leaf, unsigned sub, unsigned *a, unsigned *b, unsigned *c, unsigned *d) {
  if (leaf == 7 && sub == 0) {
    /* EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
    *b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
    /* ECX: VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
    *c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    /* EDX: 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8 */
    *d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25));
  } else if (leaf == 7 && sub == 1) {
    /* EAX: AVX-VNNI, AVX512-BF16, AVX-IFMA */
    *a &= ~((1u << 4) | (1u << 5) | (1u << 23));
    /* EDX: AVX-VNNI-INT8, AVX10 */
    *d &= ~((1u << 4) | (1u << 19));
  } else if (leaf == 0xd && sub == 0) {
    /* XSAVE components offered: no opmask/ZMM (5-7) or AMX tile (17-18) state */
    *a &= ~((1u << 5) | (1u << 6) | (1u << 7) | (1u << 17) | (1u << 18));
  } else if (leaf == 0x1d || leaf == 0x1e || leaf == 0x24) {
    *a = *b = *c = *d = 0;
  }
}

static void on_segv(int sig, siginfo_t *info, void *context) {
  ucontext_t *uc = context;
  greg_t *r = uc->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)r[REG_RIP];
  if (ip[0] != 0x0f || ip[1] != 0xa2) {
    if (program_segv.sa_flags & SA_SIGINFO) {
      program_segv.sa_sigaction(sig, info, context);
    } else if (program_segv.sa_handler != SIG_DFL && program_segv.sa_handler != SIG_IGN) {
      program_segv.sa_handler(sig);
    } else {
      /* Default action: returning re-runs the faulting instruction, which now kills the process. */
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      real_sigaction(sig, &dfl, NULL);
    }
    return;
  }
  unsigned leaf = (unsigned)r[REG_RAX], sub = (unsigned)r[REG_RCX], a, b, c, d;
  set_cpuid(1);
  __cpuid_count(leaf, sub, a, b, c, d);
  set_cpuid(0);
  mask(leaf, sub, &a, &b, &c, &d);
  r[REG_RAX] = a;
  r[REG_RBX] = b;
  r[REG_RCX] = c;
  r[REG_RDX] = d;
  r[REG_RIP] += 2;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (!real_sigaction) real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  if (sig != SIGSEGV) return real_sigaction(sig, act, old);
  if (old) *old = program_segv;
  if (act) program_segv = *act;
  return 0;
}

__attribute__((constructor)) static void hide_avx512(void) {
  real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (real_sigaction(SIGSEGV, &sa, NULL) != 0 || set_cpuid(0) != 0) {
    fprintf(stderr, "hide-avx512: CPUID faulting is not available here (needs the cpuid_fault flag)\n");
    exit(97);
  }
}
