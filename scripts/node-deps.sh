#!/usr/bin/env bash
# Installs the test node's host packages when they are missing: containerd and runc (the container runtime; crun
# refuses this machine's hybrid cgroup layout), the CNI plugins (bridge, host-local, loopback in /usr/lib/cni),
# umoci (OCI images without Docker), tini (PID 1 of the kfaas images) and busybox-static (the shell tools of the
# example function image), plus iptables and iproute2. CI runs as root, so apt-get is used directly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/apt.sh"
apt_ensure "the test node" containerd=/usr/bin/containerd runc=/usr/sbin/runc \
  containernetworking-plugins=/usr/lib/cni/bridge umoci=/usr/bin/umoci tini=/usr/bin/tini-static \
  busybox-static=/bin/busybox iptables=/usr/sbin/iptables iproute2=/usr/sbin/ip
echo "containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"
