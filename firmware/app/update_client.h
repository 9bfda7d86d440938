/*
 * The app's update client (docs/update-flow.md sections 2, 4, 6): talks to the update server
 * through the NETU device (netdev.h), checks manifests (manifest.h), downloads raw payloads or
 * PELION/BSDIFF001 deltas (delta_patch.h) into the candidate slot, writes the v2 header last
 * and resets into the bootloader, which installs the candidate.
 *
 * Runs from the app's main loop: update_client_poll() after every wake-up. It returns at once
 * while idle; an update runs to its end inside one call (minutes at most), with every wait in
 * WFI and app_background() (watchdog, boot confirmation) called after every wake-up and between
 * every bounded piece of work (1 KiB of hashing or patching, one sector erase, one 1 KiB program).
 *
 * Console lines (UART0, "[UC] " prefix) and POST `result` messages: see README.md
 * "Update client".
 */
#ifndef FW_APP_UPDATE_CLIENT_H
#define FW_APP_UPDATE_CLIENT_H

#include <stdint.h>

/* Probe the network device; without it the client stays disabled for good ("[UC] no network
 * device"). `fallback_version` is reported as the running version when the active header cannot
 * be read (an app started without the bootloader). */
void update_client_init(uint64_t fallback_version);
/* From the main loop after each wake-up: NOTIFY check, and the whole update when there is one.
 * Does not return when an update has been written (SYSRESETREQ). */
void update_client_poll(void);

#endif
