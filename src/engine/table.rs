//! The event table: per-site blocks of event slots and their rate-class membership.
//!
//! A site that owns at least one possible event has a *block* of slot records (one header
//! plus [`crate::events::EventCatalog::max_layout_size`] slots) in one pool; a site with no
//! possible event has none. Each active slot records its class and its position in the
//! class's member array, which makes removal O(1). Blocks are recycled through a free list,
//! so memory follows the number of owners with events, not the number of sites.

use crate::solver::classes::{ClassId, EventRef, RateClasses};

/// One slot: the class of the event in it (or [`ClassId::NONE`]) and its position there.
/// In a block's header, `class` holds the layout id and `position` the active-slot count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotRecord {
    pub class: ClassId,
    pub position: u32,
}

const INACTIVE: SlotRecord = SlotRecord {
    class: ClassId::NONE,
    position: 0,
};

/// Blocks of slot records and the rate classes. A class member is the index of its slot
/// record in `records` ([`EventRef`]); `owner_of_block` maps it back to the owner site.
#[derive(Debug, Clone)]
pub(crate) struct EventTable {
    block_size: u32,
    records: Vec<SlotRecord>,
    free: Vec<u32>,
    block_of: Vec<u32>,
    /// Owner site of each block (indexed by block start / block size).
    owner_of_block: Vec<u32>,
    pub classes: RateClasses,
}

/// No block.
pub(crate) const NO_BLOCK: u32 = u32::MAX;

impl EventTable {
    /// A table for `n_sites` sites with blocks of `slots` slots.
    pub fn new(n_sites: usize, slots: u32) -> Self {
        Self {
            block_size: slots + 1,
            records: Vec::new(),
            free: Vec::new(),
            block_of: vec![NO_BLOCK; n_sites],
            owner_of_block: Vec::new(),
            classes: RateClasses::new(),
        }
    }

    /// The block start of a site, or [`NO_BLOCK`].
    #[inline]
    pub fn block(&self, site: u32) -> u32 {
        self.block_of[site as usize]
    }

    /// Layout id recorded in a block's header.
    #[inline]
    pub fn block_layout(&self, block: u32) -> u32 {
        self.records[block as usize].class.0
    }

    /// Active slots of a block.
    #[inline]
    pub fn block_active(&self, block: u32) -> u32 {
        self.records[block as usize].position
    }

    /// The record of a slot.
    #[inline]
    pub fn record(&self, block: u32, slot: u32) -> SlotRecord {
        self.records[(block + 1 + slot) as usize]
    }

    /// The owner site and slot of a class member.
    #[inline]
    pub fn resolve(&self, member: EventRef) -> (u32, u32) {
        let block = member.0 / self.block_size;
        (
            self.owner_of_block[block as usize],
            member.0 - block * self.block_size - 1,
        )
    }

    /// The class member that stands for `slot` of `block`.
    #[inline]
    pub fn member(block: u32, slot: u32) -> EventRef {
        EventRef(block + 1 + slot)
    }

    /// Allocates a block for `site` with layout `layout`.
    pub fn allocate(&mut self, site: u32, layout: u32) -> u32 {
        let start = if let Some(start) = self.free.pop() {
            start
        } else {
            let start = u32::try_from(self.records.len()).expect("fewer than 2^32 slot records");
            self.records
                .resize(self.records.len() + self.block_size as usize, INACTIVE);
            self.owner_of_block.push(site);
            start
        };
        self.owner_of_block[(start / self.block_size) as usize] = site;
        self.records[start as usize] = SlotRecord {
            class: ClassId(layout),
            position: 0,
        };
        self.block_of[site as usize] = start;
        start
    }

    /// Frees the block of `site` (all its slots must be inactive).
    pub fn release(&mut self, site: u32) {
        let start = self.block_of[site as usize];
        debug_assert!(start != NO_BLOCK && self.block_active(start) == 0);
        self.block_of[site as usize] = NO_BLOCK;
        self.free.push(start);
    }

    /// Makes `slot` of `site`'s block a member of `class`.
    #[inline]
    pub fn activate(&mut self, block: u32, slot: u32, class: ClassId) {
        let position = self.classes.push(class, Self::member(block, slot));
        self.records[(block + 1 + slot) as usize] = SlotRecord { class, position };
        self.records[block as usize].position += 1;
    }

    /// Removes `slot` of the block from its class.
    #[inline]
    pub fn deactivate(&mut self, block: u32, slot: u32) {
        let index = (block + 1 + slot) as usize;
        let SlotRecord { class, position } = self.records[index];
        if let Some(moved) = self.classes.remove(class, position) {
            self.records[moved.0 as usize].position = position;
        }
        self.records[index] = INACTIVE;
        self.records[block as usize].position -= 1;
    }

    /// Bytes held by blocks, the site index and class members.
    pub fn memory_bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<SlotRecord>()
            + self.block_of.capacity() * 4
            + self.free.capacity() * 4
            + self.owner_of_block.capacity() * 4
            + self.classes.memory_bytes()
    }
}
