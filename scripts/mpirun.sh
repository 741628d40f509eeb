#!/usr/bin/env bash
# Launches an MPI job of DslNet processes on this machine with the settings a container, a CI runner or a small
# machine needs, so that neither the tests nor the README repeat them:
#
#   scripts/mpirun.sh -np 2 dotnet samples/X/bin/Release/net10.0/X.dll --distributed
#   DSLNET_MPI_TRANSPORT=tcp scripts/mpirun.sh -np 2 ...      # TCP loopback instead of shared memory
#
# Every argument goes to Open MPI's mpirun unchanged. What the script adds:
#   - as root, OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (Open MPI refuses root otherwise);
#   - OMPI_MCA_plm=isolated: start the ranks locally without ssh/rsh (containers have neither);
#   - OMPI_MCA_btl=self,vader (shared memory; DSLNET_MPI_TRANSPORT=tcp gives self,tcp over loopback), with vader's
#     single-copy mechanism off, since containers usually forbid the ptrace-based cross-memory attach;
#   - oversubscription allowed (more ranks than cores: 3 ranks on 2 cores) and no core binding, so ranks share the
#     cores with whatever else runs instead of being pinned onto a busy one; a rank waiting for a message yields its
#     core (mpi_yield_when_idle) instead of spinning on it while the rank it waits for needs that core;
#   - TERM=dumb (no escape codes in the ranks' output).
# On a cluster use your site's mpirun and hostfile directly; none of this is needed there.
set -euo pipefail

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found: install Open MPI (apt-get install -y openmpi-bin)" >&2
    exit 127
fi

if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_plm=isolated
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
case "${DSLNET_MPI_TRANSPORT:-shm}" in
    shm) export OMPI_MCA_btl=self,vader ;;
    tcp) export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo ;;
    *) echo "DSLNET_MPI_TRANSPORT must be shm or tcp, not '${DSLNET_MPI_TRANSPORT}'" >&2; exit 2 ;;
esac
export TERM=dumb

exec mpirun "$@"
