/*
 * LeakSanitizer probe for tests/lsan.supp (run by tests/e2e/lsan/hook_leak.sh in the sanitizer
 * build): a Cortex-M4 program on Unicorn whose code hook (our code, called back by the library)
 * leaks one 48-byte block per instruction, while the guest stores into the page it executes from
 * (self-modifying-code tracking: Unicorn 2.0.1 then allocates a code bitmap for the page,
 * tb_invalidate_phys_page_fast_arm, that uc_close never frees: the library's own leak, the one
 * the suppressions are for). Under the suppression file LSan must report the hook's leaks, and
 * only them.
 *   hook_leak [--no-leak]    (--no-leak: the hook frees what it allocates)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define CODE_ADDR 0x1000u
#define CODE_SIZE 0x1000u
#define STEPS 201u /* ldr, then 100 x (str, b) */

static int hook_frees;
static void *volatile last; /* the newest block only: every older one is unreachable */

/* Our hook code: one allocation per instruction, the previous pointer dropped. */
__attribute__((noinline)) static void fwemu_test_leaky_hook(uc_engine *uc, uint64_t address,
                                                            uint32_t size, void *user)
{
    (void)uc; (void)address; (void)size; (void)user;
    char *p = malloc(48);
    if (!p)
        return;
    memset(p, 0xA5, 48);
    if (hook_frees)
        free(p);
    else
        last = p;
}

int main(int argc, char **argv)
{
    hook_frees = argc > 1 && strcmp(argv[1], "--no-leak") == 0;
    /* Thumb: r0 = CODE_ADDR + 0x200 (the same 1 KiB target page); loop: str r1, [r0]; b loop. Stopped by the instruction count
     * (STEPS), so no new translation block is added to the page after its last stores (adding one
     * would free the page's code bitmap). */
    static const uint16_t code[] = {
        0x4801,         /* ldr r0, [pc, #4]    -> lit */
        0x6001,         /* loop: str r1, [r0] */
        0xe7fd,         /* b loop */
        0xbf00,         /* nop (lit alignment) */
        0x1200, 0x0000, /* lit: .word CODE_ADDR + 0x200 */
    };
    uc_engine *uc;
    uc_hook h;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK ||
        uc_mem_map(uc, CODE_ADDR, CODE_SIZE, UC_PROT_ALL) != UC_ERR_OK ||
        uc_mem_write(uc, CODE_ADDR, code, sizeof code) != UC_ERR_OK ||
        uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)fwemu_test_leaky_hook, NULL, 1, 0) != UC_ERR_OK) {
        fprintf(stderr, "hook_leak: Unicorn set-up failed\n");
        return 2;
    }
    /* `until` outside the mapping: only the count stops the run */
    uc_err err = uc_emu_start(uc, CODE_ADDR | 1u, CODE_ADDR + CODE_SIZE, 0, STEPS);
    uint32_t r0 = 0;
    uc_reg_read(uc, UC_ARM_REG_R0, &r0);
    uc_close(uc);
    if (err != UC_ERR_OK || r0 != CODE_ADDR + 0x200u) {
        fprintf(stderr, "hook_leak: the guest loop did not run (%s, r0 = 0x%x)\n", uc_strerror(err), r0);
        return 2;
    }
    printf("hook_leak: guest loop done, the hook %s its blocks\n", hook_frees ? "freed" : "leaked");
    return 0;
}
