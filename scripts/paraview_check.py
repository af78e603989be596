"""Opens an XDMF sidecar written by `nanokmc export --format xdmf` with ParaView's default
reader for the file (as a user who double-clicks it would) and checks what it loads: the
number of points of every time step, the node arrays and the time values.

Run with pvpython (Debian: python3-paraview): pvpython paraview_check.py X.xdmf N_SITES FRAMES
Exits non-zero with a message on any mismatch.
"""

import sys

from paraview.simple import OpenDataFile


def main():
    path, n_sites, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    reader = OpenDataFile(path)
    assert reader is not None, "ParaView found no reader for " + path
    name = reader.GetXMLName()
    times = list(reader.TimestepValues)
    assert len(times) == frames, (name, len(times), frames)
    for t in times:
        reader.UpdatePipeline(t)
        info = reader.GetDataInformation()
        points = info.GetNumberOfPoints()
        assert points == n_sites, (name, t, points, n_sites)
        arrays = sorted(reader.PointData.keys())
        for wanted in ("species", "kind", "domain"):
            assert wanted in arrays, (name, arrays)
    print(f"ParaView reader {name}: {frames} time steps of {n_sites} points, arrays {arrays}: ok")


if __name__ == "__main__":
    main()
