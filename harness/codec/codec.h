/*
 * codec/: the room that knows the formats and nothing of the emulator, the scenarios or the CLI.
 *
 * What it does: turns bytes into checked values and back, each format in its own module with
 * its own error enum (negative values) and messages that name the file and the field at fault.
 * Every function is total on its input: malformed bytes give an error, never a crash.
 *
 * What it may include: util/ (fileio.h, elf.h), the shared header codec
 * firmware/common/mbed_header.h, and libraries (Mbed TLS, LZ4, libdivsufsort, jansson). Nothing
 * in codec/ includes emu/, scenario/, sweep/, server/ or cli/ (tests/e2e/architecture.sh checks).
 *
 * What it offers (include the one you need, or this header for all of them):
 *   codec/layout.h    flash layouts as data: bundled (mbed-classic, mbed-fota), layout files, Mbed configs
 *   codec/input.h     whole input files into memory, with one set of messages for bad paths
 *   codec/image.h     firmware files (ELF or raw) -> bodies, v2 headers, 1 MiB flash images
 *   codec/inspect.h   a flash dump decoded: regions, header slots, what the bootloader will do
 *   codec/manifest.h  Pelion manifest v3 (DER), keys, ECDSA P-256 signatures, uuid5 ids
 *   codec/delta.h     PELION/BSDIFF001 delta payloads: create, apply, inspect, mutate
 *   codec/bundled.h   the firmware binaries and the development key linked into fwemu
 *   codec/fota_header.h  the FOTA-era headers (app header, candidate-ready + v3 candidate header)
 * Used by: scenario/ (and through it sweep/) and cli/.
 */
#ifndef FWEMU_CODEC_H
#define FWEMU_CODEC_H

#include "codec/bundled.h"
#include "codec/delta.h"
#include "codec/fota_header.h"
#include "codec/image.h"
#include "codec/input.h"
#include "codec/inspect.h"
#include "codec/layout.h"
#include "codec/manifest.h"

#endif
