/* fuzz.h: the libFuzzer entry points every target defines (LLVMFuzzerInitialize is
 * optional), and small helpers shared by the targets. Built two ways: with clang's
 * -fsanitize=fuzzer (make fuzz, build-fuzz/), and with replay.c as main in the normal
 * trees, where ctest replays each committed corpus (fuzz_replay_<name>). */
#ifndef TMFINV_FUZZ_H
#define TMFINV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property of the code under test does not hold: report and crash, so that both
 * libFuzzer and the replay driver stop on this input. */
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#endif
