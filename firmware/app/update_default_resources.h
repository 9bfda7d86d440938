/*
 * The device's update identity (as Mbed's update_default_resources.c): vendor-id, class-id and
 * the manifest verification key. See update_default_resources.c.
 */
#ifndef FW_APP_UPDATE_DEFAULT_RESOURCES_H
#define FW_APP_UPDATE_DEFAULT_RESOURCES_H

#include <stdint.h>

#define UPDATE_ID_SIZE 16u
#define UPDATE_PUBLIC_KEY_SIZE 65u

extern const uint8_t update_vendor_id[UPDATE_ID_SIZE];
extern const uint8_t update_class_id[UPDATE_ID_SIZE];
extern const uint8_t update_public_key[UPDATE_PUBLIC_KEY_SIZE];

#endif
