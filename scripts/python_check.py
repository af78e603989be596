#!/usr/bin/env python3
"""Reads a nanokmc H5MD trajectory with the Python tools users open it with.

Usage: python_check.py TRAJ.h5 EXPECT.json [XYZ] [XDMF]

EXPECT.json holds what the Rust test wrote: n_sites, frames, steps, times, temperatures,
box lengths, scenario text, atoms per frame. h5py is required; MDAnalysis and ASE are
checked when importable, otherwise reported as skipped. Exits non-zero on any mismatch.
Run by tests/python_readers.rs.
"""
import json
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

import h5py
import numpy as np


def check_h5py(path, expect):
    with h5py.File(path, "r") as f:
        assert list(f["h5md"].attrs["version"]) == [1, 1]
        g = f["particles/trajectory"]
        species = g["species/value"]
        assert species.shape == (expect["frames"], expect["n_sites"]), species.shape
        assert list(g["species/step"][:]) == expect["steps"]
        assert np.allclose(g["species/time"][:], expect["times"], rtol=0, atol=0)
        assert g["species/time"].attrs["unit"] == "s"
        assert g["position/value"].shape == (expect["frames"], expect["n_sites"], 3)
        atoms = [int(np.count_nonzero(species[i])) for i in range(expect["frames"])]
        assert atoms == expect["atoms"], (atoms, expect["atoms"])
        assert f["parameters/scenario"][()].decode() == expect["scenario"]
        assert f["parameters/status"][0].decode().rstrip("\0") == "complete"
        assert int(f["parameters"].attrs["seed"]) == expect["seed"]
        assert np.allclose(f["observables/temperature/value"][:], expect["temperatures"])
    # The SWMR read mode, as for a running or killed writer.
    with h5py.File(path, "r", swmr=True) as f:
        assert f["particles/trajectory/species/value"].shape[0] == expect["frames"]
    print("h5py: ok")


def check_mdanalysis(path, expect):
    try:
        import MDAnalysis as mda
    except ImportError as error:
        print(f"MDAnalysis: skipped (not installed: {error})")
        return
    n = expect["n_sites"]
    # Route 1: an empty universe of N sites, then the H5MD reader on the .h5 file.
    u = mda.Universe.empty(n, trajectory=True)
    u.load_new(path, format="H5MD")
    # Route 2: the plain one-liner on a .h5md name (MDAnalysis guesses the format from it).
    with tempfile.TemporaryDirectory() as tmp:
        link = os.path.join(tmp, "traj.h5md")
        os.symlink(os.path.abspath(path), link)
        u2 = mda.Universe(link)
        assert u2.atoms.n_atoms == n and len(u2.trajectory) == expect["frames"]
    assert u.atoms.n_atoms == n
    assert len(u.trajectory) == expect["frames"], len(u.trajectory)
    for i, ts in enumerate(u.trajectory):
        assert np.allclose(ts.dimensions[:3], expect["box_lengths"]), ts.dimensions
        assert np.allclose(ts.dimensions[3:], 90.0)
        # MDAnalysis converts seconds to picoseconds.
        assert np.isclose(ts.time, expect["times"][i] * 1e12, rtol=1e-12), ts.time
        assert int(ts.data["step"]) == expect["steps"][i]
        assert np.isclose(ts.data["temperature"], expect["temperatures"][i])
        assert np.allclose(ts.positions[0], expect["first_position"], atol=1e-5)
    print(f"MDAnalysis {mda.__version__}: ok")


def check_xdmf(path, xdmf):
    root = ET.parse(xdmf).getroot()
    assert root.tag == "Xdmf"
    grids = root.findall("./Domain/Grid/Grid")
    assert grids, "no frames in the XDMF collection"
    # every dataset is a plain one (no hyperslab) in the companion X.xdmf.h5 beside it.
    companion = xdmf + ".h5"
    with h5py.File(companion, "r") as f, h5py.File(path, "r") as traj:
        for item in root.iter("DataItem"):
            assert item.get("ItemType") is None, item.attrib
            assert item.get("Format") == "HDF", item.attrib
            name, dataset = item.text.strip().split(":", 1)
            assert name == os.path.basename(companion), name
            dims = tuple(int(d) for d in item.get("Dimensions").split())
            assert f[dataset].shape == dims, (dataset, f[dataset].shape, dims)
        species = traj["particles/trajectory/species/value"]
        for i, grid in enumerate(grids):
            ref = grid.find("./Attribute[@Name='species']/DataItem").text.split(":", 1)[1]
            assert (f[ref][()] == species[i]).all(), ref
    print("XDMF (ElementTree): ok")


def check_ase(xyz, h5path, expect):
    try:
        import ase.io
    except ImportError as error:
        print(f"ASE: skipped (not installed: {error})")
        return
    images = ase.io.read(xyz, index=":", format="extxyz")
    assert len(images) == expect["frames"], len(images)
    for i, atoms in enumerate(images):
        assert len(atoms) == expect["atoms"][i]
        assert list(atoms.pbc) == [True, True, False]
        assert np.allclose(atoms.cell.lengths(), expect["box_lengths"])
        assert int(atoms.info["Step"]) == expect["steps"][i]
        assert set(atoms.get_chemical_symbols()) <= {"Cd", "Se"}
        assert "domain" in atoms.arrays and "kind" in atoms.arrays
        # positions are relative to the box origin (ASE ignores `Origin`), so that the
        # atoms sit where they sit in the cell: the trajectory's positions minus the origin.
        with h5py.File(h5path, "r") as f:
            box = f["particles/trajectory/box"]
            origin = np.asarray(box.attrs["origin"], dtype=float)
            species = f["particles/trajectory/species/value"][i]
            absolute = f["particles/trajectory/position/value"][i][species != 0]
        assert np.allclose(atoms.positions, absolute - origin, atol=1e-5)
        assert np.allclose([float(x) for x in atoms.info["BoxOrigin"].split()] if isinstance(atoms.info["BoxOrigin"], str) else atoms.info["BoxOrigin"], origin)
    print("ASE: ok")


def main():
    path, expect_path = sys.argv[1], sys.argv[2]
    with open(expect_path) as handle:
        expect = json.load(handle)
    check_h5py(path, expect)
    check_mdanalysis(path, expect)
    if len(sys.argv) > 4:
        check_xdmf(path, sys.argv[4])
    if len(sys.argv) > 3:
        check_ase(sys.argv[3], sys.argv[1], expect)


if __name__ == "__main__":
    main()
