#!/bin/sh
#
# pbx-ocf-lib.sh: the shell functions that the resource agents of provider "pbx" (pbx-agent, pbx-asterisk,
# pbx-storage) share, so each is written once. Named for its provider and role; the ".sh" marks a sourced library,
# as resource-agents names findif.sh. It is sourced, never run: install.sh puts it beside the agents with mode 0644,
# so Pacemaker does not list it as an agent, and each agent loads it from its own directory.
#
# POSIX sh (dash). The monitors call these functions on every interval, so they use builtins only (now() aside).
# Load it after ocf-returncodes; it needs nothing of ocf-shellfuncs.

# A probe is a monitor with interval 0 (as ocf_is_probe, usable before ocf-shellfuncs is loaded).
is_probe() { [ "${OCF_RESKEY_CRM_meta_interval:-0}" = 0 ]; }

usage() {
	echo "usage: $0 {start|stop|monitor|validate-all|meta-data}"
}

now() { date +%s; }

# Action timeout in ms as Pacemaker gave it, or $1 when run by hand.
action_timeout_ms() {
	case "${OCF_RESKEY_CRM_meta_timeout:-}" in
	''|*[!0-9]*) echo "$1" ;;
	*) echo "$OCF_RESKEY_CRM_meta_timeout" ;;
	esac
}

# The pid a pid file records, in $pid: 0 when the file holds a number, 1 when it is missing, unreadable or holds
# anything else. Builtins only: the monitors run it on every interval.
recorded_pid() {
	pid=
	[ -r "$1" ] || return 1
	IFS= read -r pid < "$1" 2>/dev/null || [ -n "$pid" ] || return 1
	case "$pid" in ''|*[!0-9]*) return 1 ;; esac
}

# Alive and not a zombie: a killed process whose parent has not reaped it yet is gone for our purpose. Every
# thread counts: a leader that has exited shows Z while a thread stuck in I/O (D) keeps the process, and what it
# holds (the storage), alive. Builtins only (no fork per thread): dash's read takes the first line of a stat file,
# the state follows the ") " after the command name.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	# The usual answer from the leader alone; its threads are read only when the leader is a zombie.
	IFS= read -r st < "/proc/$1/stat" 2>/dev/null || return 1
	st=${st##*) }
	case "$st" in Z*|X*) ;; *) return 0 ;; esac
	# The agents run with globbing off: on for this one expansion, then as the caller had it.
	case $- in *f*) noglob=1 ;; *) noglob= ;; esac
	set +f
	set -- "/proc/$1/task/"*
	[ -n "$noglob" ] && set -f
	for task in "$@"; do
		IFS= read -r st < "$task/stat" 2>/dev/null || continue
		st=${st##*) }
		case "$st" in Z*|X*) ;; *) return 0 ;; esac
	done
	return 1
}
