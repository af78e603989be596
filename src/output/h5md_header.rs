//! The header of a trajectory, written once when the file is created: `/h5md`, the
//! `/particles` group (box, kinds, domains, the empty per-frame datasets), `/observables`
//! and `/parameters` (docs/output.md). The writer of frames is in [`super::h5md`].

use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5::{Extent, File};

use super::h5md::{
    DEFLATE_LEVEL, FORMAT, FRAME_CHUNK, POSITION_CHUNK, SPECIES_CHUNK, create_element,
    set_status_dataset, sites_hash, to_varlen, write_array_attr, write_attr, write_str_attr,
    write_str_list_attr,
};
use super::{RunStatus, TrajectoryHeader};

pub(super) fn write_h5md_group(file: &File, header: &TrajectoryHeader) -> hdf5::Result<()> {
    let h5md = file.create_group("h5md")?;
    write_array_attr(&h5md, "version", &[1i32, 1])?;
    let author = h5md.create_group("author")?;
    write_str_attr(&author, "name", &header.author)?;
    let creator = h5md.create_group("creator")?;
    write_str_attr(&creator, "name", "nanokmc")?;
    let version = header
        .program_version
        .strip_prefix("nanokmc ")
        .unwrap_or(&header.program_version);
    write_str_attr(&creator, "version", version)
}

pub(super) fn write_particles(file: &File, header: &TrajectoryHeader) -> hdf5::Result<()> {
    let n = header.site_count();
    let particles = file.create_group("particles")?;
    let group = particles.create_group("trajectory")?;

    // The species element owns the master step and time datasets.
    let species = group.create_group("species")?;
    species
        .new_dataset::<i64>()
        .shape([Extent::resizable(0)])
        .chunk(FRAME_CHUNK)
        .create("step")?;
    let time = species
        .new_dataset::<f64>()
        .shape([Extent::resizable(0)])
        .chunk(FRAME_CHUNK)
        .create("time")?;
    write_str_attr(&time, "unit", "s")?;
    let value = species
        .new_dataset::<u8>()
        .shape([Extent::resizable(0), Extent::fixed(n)])
        .chunk([1, n.clamp(1, SPECIES_CHUNK)])
        .deflate(DEFLATE_LEVEL)
        .create("value")?;
    write_str_list_attr(&value, "names", &header.species_names)?;
    write_str_list_attr(&value, "elements", &header.species_elements)?;

    create_element::<f32>(
        &group,
        "position",
        &[n, 3],
        &[n.clamp(1, POSITION_CHUNK), 3],
        1,
        true,
        Some("Angstrom"),
    )?;

    let simulation_box = group.create_group("box")?;
    write_attr(&simulation_box, "dimension", &3i32)?;
    let boundary: Vec<String> = header
        .periodic
        .iter()
        .map(|&p| if p { "periodic" } else { "none" }.to_string())
        .collect();
    write_str_list_attr(&simulation_box, "boundary", &boundary)?;
    create_element::<f64>(
        &simulation_box,
        "edges",
        &[3, 3],
        &[3, 3],
        FRAME_CHUNK,
        false,
        Some("Angstrom"),
    )?;
    write_array_attr(&simulation_box, "origin", &header.box_origin)?;

    for (name, ids, names) in [
        ("kind", &header.site_kinds, &header.kind_names),
        ("domain", &header.site_domains, &header.domain_names),
    ] {
        let ds = group
            .new_dataset::<u16>()
            .shape(n)
            .chunk(n.clamp(1, SPECIES_CHUNK))
            .deflate(DEFLATE_LEVEL)
            .create(name)?;
        ds.write(ids.as_slice())?;
        write_str_list_attr(&ds, "names", names)?;
        if name == "domain" && !header.domain_cells.is_empty() {
            let flat: Vec<f64> = header
                .domain_cells
                .iter()
                .flatten()
                .flatten()
                .copied()
                .collect();
            ds.new_attr::<f64>()
                .shape([header.domain_cells.len(), 3, 3])
                .create("cells")?
                .write_raw(&flat)?;
        }
    }
    Ok(())
}

pub(super) fn write_observables(file: &File, header: &TrajectoryHeader) -> hdf5::Result<()> {
    let group = file.create_group("observables")?;
    let n_domains = header.domain_names.len();
    let n_species = header.species_names.len();
    create_element::<f64>(
        &group,
        "temperature",
        &[],
        &[],
        FRAME_CHUNK,
        false,
        Some("K"),
    )?;
    create_element::<f64>(
        &group,
        "beam_flux",
        &[],
        &[],
        FRAME_CHUNK,
        false,
        Some("e Angstrom-2 s-1"),
    )?;
    for name in ["species_counts", "evaporated", "deposited"] {
        let inner = [n_domains, n_species];
        let value = create_element::<u64>(&group, name, &inner, &inner, 64, true, None)?;
        write_str_list_attr(&value, "domains", &header.domain_names)?;
        write_str_list_attr(&value, "species", &header.species_names)?;
    }
    let inner = [n_domains, n_domains, n_species];
    let value = create_element::<u64>(&group, "transfers", &inner, &inner, 64, true, None)?;
    write_str_list_attr(&value, "domains", &header.domain_names)?;
    write_str_list_attr(&value, "species", &header.species_names)?;
    let n_rules = header.rule_names.len();
    let value = create_element::<u64>(
        &group,
        "events_by_rule",
        &[n_rules],
        &[n_rules.max(1)],
        64,
        true,
        None,
    )?;
    write_str_list_attr(&value, "rules", &header.rule_names)?;
    create_element::<u64>(&group, "null_events", &[], &[], FRAME_CHUNK, false, None)?;
    Ok(())
}

pub(super) fn write_parameters(file: &File, header: &TrajectoryHeader) -> hdf5::Result<()> {
    let group = file.create_group("parameters")?;
    write_str_attr(&group, "format", FORMAT)?;
    write_str_attr(&group, "program_version", &header.program_version)?;
    write_str_attr(&group, "author", &header.author)?;
    write_str_attr(&group, "scenario_path", &header.scenario_path)?;
    write_str_attr(&group, "potential_path", &header.potential_path)?;
    write_attr(&group, "seed", &header.seed)?;
    write_attr(&group, "replica", &header.replica)?;
    write_attr(&group, "replicas", &header.replicas)?;
    write_attr(&group, "n_sites", &(header.site_count() as u64))?;
    write_attr(&group, "sites_hash", &sites_hash(header))?;
    write_str_list_attr(&group, "species_names", &header.species_names)?;
    write_str_list_attr(&group, "species_elements", &header.species_elements)?;
    write_str_list_attr(&group, "kind_names", &header.kind_names)?;
    write_str_list_attr(&group, "domain_names", &header.domain_names)?;
    write_str_list_attr(&group, "rule_names", &header.rule_names)?;
    write_array_attr(&group, "box_origin", &header.box_origin)?;
    for (name, text) in [
        ("scenario", &header.scenario_text),
        ("potential", &header.potential_text),
    ] {
        group
            .new_dataset::<VarLenUnicode>()
            .create(name)?
            .write_scalar(&to_varlen(text)?)?;
    }
    // A chunked dataset rather than an attribute: SWMR allows writing it in place.
    group
        .new_dataset::<FixedAscii<16>>()
        .shape([1])
        .chunk([1])
        .create("status")?;
    set_status_dataset(file, RunStatus::Running)
}
