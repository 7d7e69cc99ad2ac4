//! What the running kernel is and offers: BTF offsets, LSMs, cgroups, feature probes.

pub mod bpf_map;
pub mod cgroup;
pub mod features;
pub mod lsm;
pub mod offsets;
