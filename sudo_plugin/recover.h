/* SPDX-License-Identifier: ISC */
/*
 * Break-glass recovery codes in sudo (issue 11): when the approval service
 * is unavailable and recovery=allow applies, ask the user for one of their
 * one-time codes through sudo's conversation (echo off) and have
 * bkey-approve check and burn it (helper_run.h's bkey_helper_recover).
 */
#ifndef BKEY_SUDO_RECOVER_H
#define BKEY_SUDO_RECOVER_H

#include <sudo_plugin.h>

#include "helper_run.h"

#define RECOVER_TRIES 3 /* prompts per attempt */
#define RECOVER_PROMPT "BKey is unreachable. Recovery code: "

/*
 * Ask up to RECOVER_TRIES times. ask->req names the user and scope (its
 * recovery_code is set here, and wiped). BKEY_APPROVED only for a code
 * bkey-approve accepted, *remaining the codes left; BKEY_DENIED for wrong
 * codes or no answer (no conversation, an empty or absent reply); any
 * other result (cancelled by a signal, an error) ends the tries, err set.
 */
bkey_result recover_ask(sudo_conv_t conv, struct bkey_ask *ask, long *remaining,
    bkey_error *err);

#endif
