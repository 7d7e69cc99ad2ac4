//! Reads the kernel's BTF type information (`/sys/kernel/btf/vmlinux`) so the loader can look up
//! kernel struct member offsets and tracepoint prototypes at run time instead of hard-coding them.

use std::collections::HashMap;
use std::fmt;

use anyhow::{anyhow, bail, Context, Result};

/// Where the running kernel publishes its own BTF.
const SYS_PATH: &str = "/sys/kernel/btf/vmlinux";
/// `BTF_MAGIC`; stored in host byte order, so a little-endian blob starts with `9f eb`.
const MAGIC: u16 = 0xEB9F;
/// Size of the fixed part of `struct btf_header`.
const HEADER_LEN: usize = 24;
/// Size of `struct btf_type` (`name_off`, `info`, `size`/`type`).
const TYPE_LEN: usize = 12;
/// Size of `struct btf_member`.
const MEMBER_LEN: usize = 12;
/// Size of `struct btf_param`.
const PARAM_LEN: usize = 8;
/// Byte size reported for pointers (denytrace only supports 64-bit kernels).
const POINTER_SIZE: u32 = 8;
/// Longest chain of typedefs/qualifiers/nesting followed before giving up (guards against cycles
/// in corrupt input; real kernels need fewer than ten).
const MAX_DEPTH: u32 = 64;
/// Most types/members one lookup may visit (guards against exponential blow-up in corrupt input).
const MAX_STEPS: u32 = 1 << 20;

/// `BTF_KIND_*`, the type kinds this parser knows the on-disk size of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    Datasec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
}

impl Kind {
    fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            1 => Self::Int,
            2 => Self::Ptr,
            3 => Self::Array,
            4 => Self::Struct,
            5 => Self::Union,
            6 => Self::Enum,
            7 => Self::Fwd,
            8 => Self::Typedef,
            9 => Self::Volatile,
            10 => Self::Const,
            11 => Self::Restrict,
            12 => Self::Func,
            13 => Self::FuncProto,
            14 => Self::Var,
            15 => Self::Datasec,
            16 => Self::Float,
            17 => Self::DeclTag,
            18 => Self::TypeTag,
            19 => Self::Enum64,
            _ => return None,
        })
    }

    /// Bytes of kind-specific data that follow the common `btf_type` record.
    fn extra_len(self, vlen: usize) -> usize {
        match self {
            Self::Int | Self::Var | Self::DeclTag => 4,
            Self::Array => 12,
            Self::Struct | Self::Union | Self::Datasec | Self::Enum64 => vlen * 12,
            Self::Enum | Self::FuncProto => vlen * 8,
            Self::Ptr
            | Self::Fwd
            | Self::Typedef
            | Self::Volatile
            | Self::Const
            | Self::Restrict
            | Self::Func
            | Self::Float
            | Self::TypeTag => 0,
        }
    }
}

/// One parsed `btf_type` record; `data` is where its kind-specific data starts in the blob.
#[derive(Clone, Copy, Debug)]
struct TypeRec {
    name_off: u32,
    info: u32,
    size_or_type: u32,
    kind: Kind,
    data: usize,
}

impl TypeRec {
    fn vlen(&self) -> u32 {
        self.info & 0xffff
    }

    fn kind_flag(&self) -> bool {
        self.info >> 31 == 1
    }

    fn is_composite(&self) -> bool {
        matches!(self.kind, Kind::Struct | Kind::Union)
    }
}

/// A `btf_member` with its offset decoded.
struct RawMember {
    name_off: u32,
    type_id: u32,
    bit_offset: u32,
    bitfield_size: u32,
}

/// A member found by name: offsets relative to the composite it was searched in.
struct Found {
    bit_offset: u32,
    bitfield_size: u32,
    type_id: u32,
}

/// The kernel's BTF type graph with a name index, loaded once and queried by name.
pub struct Btf {
    data: Vec<u8>,
    strs_start: usize,
    strs_end: usize,
    /// `types[i]` is type id `i + 1`; id 0 is `void`.
    types: Vec<TypeRec>,
    /// Type ids by name: the smallest id with a name of this FNV-1a hash; `next_named` chains
    /// the rest in ascending order (names are compared on lookup, so a hash collision only costs
    /// a comparison). About 20 bytes per name, where a map of owned names to vectors took about
    /// 120: that map was the largest allocation of start-up.
    first_named: HashMap<u64, u32>,
    /// `next_named[id - 1]`: the next id after `id` whose name has the same hash (0: none).
    next_named: Vec<u32>,
}

/// FNV-1a (64 bit) of a name.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Where a member sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Byte offset from the start of the outermost struct (rounded down for bitfields).
    pub byte_offset: u32,
    /// Total bit offset from the start of the outermost struct.
    pub bit_offset: u32,
    /// Width in bits if the member is a bitfield, 0 if not.
    pub bitfield_size: u32,
    /// Byte size of the member's type after typedefs and qualifiers (pointers are 8; for a bitfield,
    /// the size of its underlying integer type).
    pub size: u32,
}

impl fmt::Debug for Btf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("bytes", &self.data.len())
            .field("types", &self.types.len())
            .field("names", &self.first_named.len())
            .finish_non_exhaustive()
    }
}

fn read_u32(data: &[u8], off: usize) -> Result<u32> {
    let bytes = off
        .checked_add(4)
        .and_then(|end| data.get(off..end))
        .ok_or_else(|| {
            anyhow!(
                "BTF: truncated: need 4 bytes at offset {off}, blob has {}",
                data.len()
            )
        })?;
    let mut word = [0u8; 4];
    word.copy_from_slice(bytes);
    Ok(u32::from_le_bytes(word))
}

/// Bounds of a header-described section, checked against the blob.
fn section(
    data_len: usize,
    hdr_len: usize,
    off: u32,
    len: u32,
    what: &str,
) -> Result<(usize, usize)> {
    let start = hdr_len
        .checked_add(off as usize)
        .ok_or_else(|| anyhow!("BTF: {what} section offset overflows"))?;
    let end = start
        .checked_add(len as usize)
        .ok_or_else(|| anyhow!("BTF: {what} section length overflows"))?;
    if end > data_len {
        bail!("BTF: truncated: {what} section ends at byte {end} but the blob has only {data_len} bytes");
    }
    Ok((start, end))
}

/// Parses the `btf_type` records in `data[start..end]`.
fn parse_types(data: &[u8], start: usize, end: usize) -> Result<Vec<TypeRec>> {
    let mut types = Vec::with_capacity((end - start) / 16);
    let mut pos = start;
    while pos < end {
        let id = types.len() + 1;
        let data_start = pos + TYPE_LEN;
        if data_start > end {
            bail!("BTF: truncated: type id {id} at byte {pos} runs past the type section (ends at {end})");
        }
        let name_off = read_u32(data, pos)?;
        let info = read_u32(data, pos + 4)?;
        let size_or_type = read_u32(data, pos + 8)?;
        let raw_kind = (info >> 24) & 0x1f;
        let Some(kind) = Kind::from_raw(raw_kind) else {
            bail!("BTF: type id {id} has unknown kind {raw_kind}");
        };
        let next = data_start + kind.extra_len((info & 0xffff) as usize);
        if next > end {
            bail!("BTF: truncated: data of type id {id} ({kind:?}) runs past the type section");
        }
        types.push(TypeRec {
            name_off,
            info,
            size_or_type,
            kind,
            data: data_start,
        });
        pos = next;
    }
    if u32::try_from(types.len()).is_err() {
        bail!("BTF: too many types ({})", types.len());
    }
    Ok(types)
}

impl Btf {
    /// Loads the running kernel's BTF from `/sys/kernel/btf/vmlinux` (or from the file named by
    /// the testing knob `DENYTRACE_BTF_PATH`, with which the tests simulate a kernel without BTF).
    ///
    /// # Errors
    /// If the file is missing (kernel built without `CONFIG_DEBUG_INFO_BTF`), unreadable or malformed.
    pub fn from_sys() -> Result<Self> {
        let path = std::env::var_os("DENYTRACE_BTF_PATH").map_or_else(|| SYS_PATH.into(), std::path::PathBuf::from);
        let shown = crate::text::Text::from_bytes(path.as_os_str().as_encoded_bytes());
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "kernel has no BTF ({shown} missing): denytrace needs CONFIG_DEBUG_INFO_BTF=y"
            ),
            Err(e) => return Err(e).with_context(|| format!("reading kernel BTF {shown}")),
        };
        Self::from_bytes(data).with_context(|| format!("parsing kernel BTF {shown}"))
    }

    /// Parses a raw little-endian BTF blob and indexes its type names.
    ///
    /// # Errors
    /// If the blob is truncated, big-endian, has a wrong magic/version or contains unknown type kinds
    /// or invalid names.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self> {
        let Some(&[m0, m1]) = data.get(0..2) else {
            bail!(
                "BTF: truncated: {} bytes, too short for a header",
                data.len()
            );
        };
        let magic = u16::from_le_bytes([m0, m1]);
        if magic != MAGIC {
            if magic.swap_bytes() == MAGIC {
                bail!("BTF: blob is big-endian (magic bytes {m0:02x} {m1:02x}); only little-endian BTF is supported");
            }
            bail!(
                "BTF: bad magic {m0:02x} {m1:02x} (expected 0xeb9f stored little-endian as 9f eb)"
            );
        }
        if data.len() < HEADER_LEN {
            bail!(
                "BTF: truncated: {} bytes, header needs {HEADER_LEN}",
                data.len()
            );
        }
        let Some(&version) = data.get(2) else {
            bail!("BTF: truncated header");
        };
        if version != 1 {
            bail!("BTF: unsupported version {version} (expected 1)");
        }
        let hdr_len = read_u32(&data, 4)? as usize;
        if hdr_len < HEADER_LEN || hdr_len > data.len() {
            bail!(
                "BTF: bad header length {hdr_len} (blob has {} bytes)",
                data.len()
            );
        }
        let (types_start, types_end) = section(
            data.len(),
            hdr_len,
            read_u32(&data, 8)?,
            read_u32(&data, 12)?,
            "type",
        )?;
        let (strs_start, strs_end) = section(
            data.len(),
            hdr_len,
            read_u32(&data, 16)?,
            read_u32(&data, 20)?,
            "string",
        )?;
        let types = parse_types(&data, types_start, types_end)?;
        let mut btf = Self {
            data,
            strs_start,
            strs_end,
            types,
            first_named: HashMap::new(),
            next_named: Vec::new(),
        };
        btf.build_index()?;
        Ok(btf)
    }

    fn build_index(&mut self) -> Result<()> {
        let mut first_named: HashMap<u64, u32> = HashMap::new();
        let mut next_named = vec![0u32; self.types.len()];
        // Descending, so that each chain ends up in ascending id order.
        // parse_types checked that the ids fit in a u32.
        let count = u32::try_from(self.types.len())?;
        for (id, t) in (1..=count).rev().zip(self.types.iter().rev()) {
            if t.name_off == 0 {
                continue;
            }
            let name = self.name(t.name_off).with_context(|| format!("name of type id {id}"))?;
            if let Some(next) = first_named.insert(name_hash(name.as_bytes()), id) {
                next_named[id as usize - 1] = next;
            }
        }
        self.first_named = first_named;
        self.next_named = next_named;
        Ok(())
    }

    /// Size in bytes of the struct or union `name`.
    ///
    /// # Errors
    /// If there is no struct or union of that name (or only a forward declaration).
    pub fn struct_size(&self, name: &str) -> Result<u32> {
        let id = self.find_composite(name)?;
        Ok(self.ty(id)?.size_or_type)
    }

    /// Whether a struct or union named `name` is defined (a forward declaration does not count).
    #[must_use]
    pub fn has_struct(&self, name: &str) -> bool {
        self.pick_composite(name).0.is_some()
    }

    /// Whether a function (`BTF_KIND_FUNC`) named `name` exists.
    #[must_use]
    pub fn has_func(&self, name: &str) -> bool {
        self.func_id(name).is_some()
    }

    /// The BTF type id of the FUNC `name` (what `attach_btf_id` takes), if there is one.
    #[must_use]
    pub fn func_id(&self, name: &str) -> Option<u32> {
        self.ids(name).find(|&id| self.get(id).is_some_and(|t| t.kind == Kind::Func))
    }

    /// Byte offset of `path` in struct `struct_name`; see [`Btf::member`].
    ///
    /// # Errors
    /// As [`Btf::member`], and if the member is a bitfield that does not start on a byte boundary.
    pub fn member_offset(&self, struct_name: &str, path: &str) -> Result<u32> {
        let m = self.member(struct_name, path)?;
        if m.bit_offset % 8 != 0 {
            bail!(
                "BTF: {struct_name}.{path} is a bitfield at bit offset {} (width {}), not on a byte boundary",
                m.bit_offset,
                m.bitfield_size
            );
        }
        Ok(m.byte_offset)
    }

    /// `path` is dot-separated ("seccomp.mode", "_sifields._sigsys._syscall"); members of anonymous
    /// structs/unions are found as if they were direct members (flattened, recursively), and offsets
    /// add up. Pointers are not followed.
    ///
    /// # Errors
    /// If the struct or any path component is missing, or a non-final component is not an embedded
    /// struct or union.
    pub fn member(&self, struct_name: &str, path: &str) -> Result<Member> {
        let root = self.find_composite(struct_name)?;
        let root_desc = self.render(root)?;
        let parts: Vec<&str> = path.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            bail!("BTF: bad member path `{path}` for {root_desc} (empty component)");
        }
        let mut container = root;
        let mut bits: u32 = 0;
        let mut last: Option<Found> = None;
        for (i, part) in parts.iter().enumerate() {
            if let Some(prev) = &last {
                let inner = self.skip_mods(prev.type_id)?;
                if inner == 0 || !self.ty(inner)?.is_composite() {
                    bail!(
                        "BTF: {root_desc} member `{}` is `{}`, not an embedded struct or union, so it has no member `{part}`",
                        parts[..i].join("."),
                        self.render(prev.type_id)?
                    );
                }
                container = inner;
            }
            let mut steps = MAX_STEPS;
            let Some(found) = self.find_in(container, part, 0, &mut steps)? else {
                if i == 0 {
                    bail!("BTF: {root_desc} has no member `{part}`");
                }
                bail!(
                    "BTF: {root_desc} has no member `{path}` ({} has no member `{part}`)",
                    self.render(container)?
                );
            };
            bits = bits
                .checked_add(found.bit_offset)
                .ok_or_else(|| anyhow!("BTF: offset of {struct_name}.{path} overflows"))?;
            last = Some(found);
        }
        let Some(found) = last else {
            bail!("BTF: empty member path for {root_desc}");
        };
        Ok(Member {
            byte_offset: bits / 8,
            bit_offset: bits,
            bitfield_size: found.bitfield_size,
            size: self.type_size(found.type_id, 0)?,
        })
    }

    /// Parameter type descriptions of a tracepoint's BTF prototype `btf_trace_<name>` (a TYPEDEF to
    /// a PTR to a `FUNC_PROTO` whose first param is the `void *` context), without that first param,
    /// rendered C-style (e.g. `"const struct cred *"`, `"long int"`).
    ///
    /// # Errors
    /// If the kernel has no such tracepoint prototype or it does not have the expected shape.
    pub fn tracepoint_params(&self, tracepoint: &str) -> Result<Vec<String>> {
        let name = format!("btf_trace_{tracepoint}");
        let Some(typedef) = self.ids(&name).find(|&id| self.get(id).is_some_and(|t| t.kind == Kind::Typedef)) else {
            bail!("BTF: no typedef `{name}`: the kernel has no tracepoint `{tracepoint}`");
        };
        let ptr = self.skip_mods(typedef)?;
        let proto = match self.ty(ptr) {
            Ok(t) if t.kind == Kind::Ptr => self.skip_mods(t.size_or_type)?,
            _ => bail!("BTF: `{name}` is not a pointer to a function prototype"),
        };
        let proto_t = match self.ty(proto) {
            Ok(t) if t.kind == Kind::FuncProto => *t,
            _ => bail!("BTF: `{name}` does not point to a function prototype"),
        };
        if proto_t.vlen() == 0 {
            bail!("BTF: prototype `{name}` has no context parameter");
        }
        (1..proto_t.vlen())
            .map(|i| self.render_param(&proto_t, i))
            .collect()
    }

    // ---- lookups ----

    /// The ids of the types called `name`, in ascending order.
    fn ids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = u32> + 'a {
        let first = self.first_named.get(&name_hash(name.as_bytes())).copied().unwrap_or(0);
        std::iter::successors(Some(first).filter(|&id| id != 0), |&id| {
            self.next_named.get(id as usize - 1).copied().filter(|&next| next != 0)
        })
        .filter(move |&id| self.get(id).is_some_and(|t| self.name_bytes(t.name_off).is_ok_and(|n| n == name.as_bytes())))
    }

    fn get(&self, id: u32) -> Option<&TypeRec> {
        self.types.get((id as usize).checked_sub(1)?)
    }

    fn ty(&self, id: u32) -> Result<&TypeRec> {
        let Some(index) = (id as usize).checked_sub(1) else {
            bail!("BTF: type id 0 (void) used where a real type is needed");
        };
        self.types.get(index).ok_or_else(|| {
            anyhow!(
                "BTF: type id {id} out of range ({} types)",
                self.types.len()
            )
        })
    }

    fn name_bytes(&self, off: u32) -> Result<&[u8]> {
        if off == 0 {
            return Ok(&[]);
        }
        let strs = self
            .data
            .get(self.strs_start..self.strs_end)
            .unwrap_or_default();
        let Some(rest) = strs.get(off as usize..) else {
            bail!(
                "BTF: string offset {off} out of range (string section has {} bytes)",
                strs.len()
            );
        };
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            bail!("BTF: string at offset {off} is not NUL-terminated");
        };
        Ok(rest.get(..len).unwrap_or_default())
    }

    fn name(&self, off: u32) -> Result<&str> {
        std::str::from_utf8(self.name_bytes(off)?)
            .map_err(|_| anyhow!("BTF: string at offset {off} is not valid UTF-8"))
    }

    /// The struct/union called `name`, preferring a complete definition (with members) over an
    /// empty one; forward declarations never match. Also says whether a forward declaration was seen.
    fn pick_composite(&self, name: &str) -> (Option<u32>, bool) {
        let mut empty = None;
        let mut saw_fwd = false;
        for id in self.ids(name) {
            let Some(t) = self.get(id) else { continue };
            match t.kind {
                Kind::Struct | Kind::Union if t.vlen() > 0 => return (Some(id), saw_fwd),
                Kind::Struct | Kind::Union => empty = empty.or(Some(id)),
                Kind::Fwd => saw_fwd = true,
                _ => {}
            }
        }
        (empty, saw_fwd)
    }

    fn find_composite(&self, name: &str) -> Result<u32> {
        match self.pick_composite(name) {
            (Some(id), _) => Ok(id),
            (None, true) => {
                bail!("BTF: struct {name} is only forward-declared (no definition in this BTF)")
            }
            (None, false) => bail!("BTF: no struct or union named `{name}`"),
        }
    }

    /// Follows typedefs, qualifiers and type tags to the underlying type id (0 for void).
    fn skip_mods(&self, mut id: u32) -> Result<u32> {
        for _ in 0..MAX_DEPTH {
            if id == 0 {
                return Ok(0);
            }
            let t = self.ty(id)?;
            match t.kind {
                Kind::Typedef | Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag => {
                    id = t.size_or_type;
                }
                _ => return Ok(id),
            }
        }
        bail!("BTF: typedef/qualifier chain through type id {id} is too long or cyclic")
    }

    fn raw_member(&self, t: &TypeRec, index: u32) -> Result<RawMember> {
        let base = t.data + index as usize * MEMBER_LEN;
        let name_off = read_u32(&self.data, base)?;
        let type_id = read_u32(&self.data, base + 4)?;
        let offset = read_u32(&self.data, base + 8)?;
        let (bit_offset, bitfield_size) = if t.kind_flag() {
            (offset & 0x00ff_ffff, offset >> 24)
        } else {
            (offset, 0)
        };
        Ok(RawMember {
            name_off,
            type_id,
            bit_offset,
            bitfield_size,
        })
    }

    /// Finds member `name` of composite `id`, descending into anonymous struct/union members.
    fn find_in(&self, id: u32, name: &str, depth: u32, steps: &mut u32) -> Result<Option<Found>> {
        if depth > MAX_DEPTH {
            bail!("BTF: anonymous members nested too deeply (cyclic?) under type id {id}");
        }
        let t = *self.ty(id)?;
        for i in 0..t.vlen() {
            *steps = steps
                .checked_sub(1)
                .ok_or_else(|| anyhow!("BTF: member search too large"))?;
            let m = self.raw_member(&t, i)?;
            if m.name_off != 0 {
                if self.name_bytes(m.name_off)? == name.as_bytes() {
                    return Ok(Some(Found {
                        bit_offset: m.bit_offset,
                        bitfield_size: m.bitfield_size,
                        type_id: m.type_id,
                    }));
                }
                continue;
            }
            let inner = self.skip_mods(m.type_id)?;
            if inner == 0 || !self.ty(inner)?.is_composite() {
                continue;
            }
            if let Some(found) = self.find_in(inner, name, depth + 1, steps)? {
                let bit_offset = m
                    .bit_offset
                    .checked_add(found.bit_offset)
                    .ok_or_else(|| anyhow!("BTF: member offset overflows"))?;
                return Ok(Some(Found {
                    bit_offset,
                    ..found
                }));
            }
        }
        Ok(None)
    }

    /// Byte size of type `id` after typedefs and qualifiers.
    fn type_size(&self, id: u32, depth: u32) -> Result<u32> {
        if depth > MAX_DEPTH {
            bail!("BTF: array nesting too deep (cyclic?) at type id {id}");
        }
        let id = self.skip_mods(id)?;
        if id == 0 {
            return Ok(0);
        }
        let t = self.ty(id)?;
        Ok(match t.kind {
            Kind::Int
            | Kind::Struct
            | Kind::Union
            | Kind::Enum
            | Kind::Enum64
            | Kind::Float
            | Kind::Datasec => t.size_or_type,
            Kind::Ptr => POINTER_SIZE,
            Kind::Array => {
                let elem = read_u32(&self.data, t.data)?;
                let count = read_u32(&self.data, t.data + 8)?;
                let elem_size = self.type_size(elem, depth + 1)?;
                elem_size
                    .checked_mul(count)
                    .ok_or_else(|| anyhow!("BTF: size of array type id {id} overflows"))?
            }
            Kind::Fwd
            | Kind::Func
            | Kind::FuncProto
            | Kind::Var
            | Kind::DeclTag
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::TypeTag => 0,
        })
    }

    // ---- rendering ----

    fn render(&self, id: u32) -> Result<String> {
        let mut steps = 4096;
        self.render_in(id, 0, &mut steps)
    }

    fn render_param(&self, proto: &TypeRec, index: u32) -> Result<String> {
        let base = proto.data + index as usize * PARAM_LEN;
        let type_id = read_u32(&self.data, base + 4)?;
        if type_id == 0 && index + 1 == proto.vlen() {
            return Ok("...".to_owned());
        }
        self.render(type_id)
    }

    fn render_in(&self, id: u32, depth: u32, steps: &mut u32) -> Result<String> {
        *steps = steps
            .checked_sub(1)
            .ok_or_else(|| anyhow!("BTF: type too complex to render"))?;
        if depth > MAX_DEPTH {
            bail!("BTF: type id {id} nests too deeply (cyclic?)");
        }
        if id == 0 {
            return Ok("void".to_owned());
        }
        let t = *self.ty(id)?;
        let name = self.name(t.name_off)?;
        let tagged = |word: &str| {
            if name.is_empty() {
                format!("{word} (anon)")
            } else {
                format!("{word} {name}")
            }
        };
        let inner = |steps: &mut u32| self.render_in(t.size_or_type, depth + 1, steps);
        Ok(match t.kind {
            Kind::Int
            | Kind::Float
            | Kind::Typedef
            | Kind::Func
            | Kind::Var
            | Kind::Datasec
            | Kind::DeclTag => name.to_owned(),
            Kind::Struct => tagged("struct"),
            Kind::Union => tagged("union"),
            Kind::Enum | Kind::Enum64 => tagged("enum"),
            Kind::Fwd => tagged(if t.kind_flag() { "union" } else { "struct" }),
            Kind::TypeTag => inner(steps)?,
            Kind::Const => qualify("const", &inner(steps)?),
            Kind::Volatile => qualify("volatile", &inner(steps)?),
            Kind::Restrict => qualify("restrict", &inner(steps)?),
            Kind::Ptr => {
                let target = self.skip_mods(t.size_or_type)?;
                if target != 0 && self.ty(target)?.kind == Kind::FuncProto {
                    self.render_proto(target, "(*)", depth + 1, steps)?
                } else {
                    let s = inner(steps)?;
                    if s.ends_with('*') {
                        s + "*"
                    } else {
                        s + " *"
                    }
                }
            }
            Kind::Array => {
                let elem = read_u32(&self.data, t.data)?;
                let count = read_u32(&self.data, t.data + 8)?;
                format!("{}[{count}]", self.render_in(elem, depth + 1, steps)?)
            }
            Kind::FuncProto => self.render_proto(id, "", depth, steps)?,
        })
    }

    /// "ret (*)(a, b)" for a function pointer, "ret (a, b)" for a bare prototype.
    fn render_proto(
        &self,
        id: u32,
        declarator: &str,
        depth: u32,
        steps: &mut u32,
    ) -> Result<String> {
        let t = *self.ty(id)?;
        let ret = self.render_in(t.size_or_type, depth + 1, steps)?;
        let mut params = Vec::with_capacity(t.vlen() as usize);
        for i in 0..t.vlen() {
            let type_id = read_u32(&self.data, t.data + i as usize * PARAM_LEN + 4)?;
            if type_id == 0 && i + 1 == t.vlen() {
                params.push("...".to_owned());
            } else {
                params.push(self.render_in(type_id, depth + 1, steps)?);
            }
        }
        let sep = if declarator.is_empty() { "" } else { " " };
        Ok(format!("{ret}{sep}{declarator}({})", params.join(", ")))
    }
}

/// `const int` but `char * const` (a qualified pointer is written after the star).
fn qualify(qualifier: &str, inner: &str) -> String {
    if inner.ends_with('*') {
        format!("{inner} {qualifier}")
    } else {
        format!("{qualifier} {inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a little-endian BTF blob by hand, one type at a time; each adder returns the new id.
    struct Builder {
        types: Vec<u8>,
        strs: Vec<u8>,
        count: u32,
    }

    const INT: u32 = 1;
    const PTR: u32 = 2;
    const ARRAY: u32 = 3;
    const STRUCT: u32 = 4;
    const UNION: u32 = 5;
    const ENUM: u32 = 6;
    const FWD: u32 = 7;
    const TYPEDEF: u32 = 8;
    const VOLATILE: u32 = 9;
    const CONST: u32 = 10;
    const RESTRICT: u32 = 11;
    const FUNC: u32 = 12;
    const FUNC_PROTO: u32 = 13;
    const VAR: u32 = 14;
    const DATASEC: u32 = 15;
    const FLOAT: u32 = 16;
    const DECL_TAG: u32 = 17;
    const TYPE_TAG: u32 = 18;
    const ENUM64: u32 = 19;

    impl Builder {
        fn new() -> Self {
            Self {
                types: Vec::new(),
                strs: vec![0],
                count: 0,
            }
        }

        fn next_id(&self) -> u32 {
            self.count + 1
        }

        fn s(&mut self, name: &str) -> u32 {
            if name.is_empty() {
                return 0;
            }
            let off = u32::try_from(self.strs.len()).expect("small");
            self.strs.extend_from_slice(name.as_bytes());
            self.strs.push(0);
            off
        }

        fn put(&mut self, v: u32) {
            self.types.extend_from_slice(&v.to_le_bytes());
        }

        fn ty(
            &mut self,
            name: &str,
            kind: u32,
            kind_flag: bool,
            vlen: usize,
            size_or_type: u32,
        ) -> u32 {
            let name_off = self.s(name);
            let vlen = u32::try_from(vlen).expect("small");
            self.put(name_off);
            self.put(u32::from(kind_flag) << 31 | kind << 24 | vlen);
            self.put(size_or_type);
            self.count += 1;
            self.count
        }

        fn int(&mut self, name: &str, size: u32) -> u32 {
            let id = self.ty(name, INT, false, 0, size);
            self.put(size * 8);
            id
        }

        fn plain(&mut self, kind: u32, name: &str, to: u32) -> u32 {
            self.ty(name, kind, false, 0, to)
        }

        fn array(&mut self, elem: u32, index: u32, count: u32) -> u32 {
            let id = self.ty("", ARRAY, false, 0, 0);
            self.put(elem);
            self.put(index);
            self.put(count);
            id
        }

        /// members: (name, type, bit offset, bitfield size)
        fn composite(
            &mut self,
            kind: u32,
            name: &str,
            size: u32,
            kflag: bool,
            members: &[(&str, u32, u32, u32)],
        ) -> u32 {
            let id = self.ty(name, kind, kflag, members.len(), size);
            for &(n, t, bit, bf) in members {
                let n = self.s(n);
                self.put(n);
                self.put(t);
                self.put(if kflag { bf << 24 | bit } else { bit });
            }
            id
        }

        fn enum32(&mut self, name: &str, values: &[(&str, u32)]) -> u32 {
            let id = self.ty(name, ENUM, false, values.len(), 4);
            for &(n, v) in values {
                let n = self.s(n);
                self.put(n);
                self.put(v);
            }
            id
        }

        fn enum64(&mut self, name: &str, values: &[(&str, u64)]) -> u32 {
            let id = self.ty(name, ENUM64, false, values.len(), 8);
            for &(n, v) in values {
                let n = self.s(n);
                self.put(n);
                self.put(u32::try_from(v & 0xffff_ffff).expect("masked"));
                self.put(u32::try_from(v >> 32).expect("shifted"));
            }
            id
        }

        fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
            let id = self.ty("", FUNC_PROTO, false, params.len(), ret);
            for &(n, t) in params {
                let n = self.s(n);
                self.put(n);
                self.put(t);
            }
            id
        }

        fn with_u32(&mut self, name: &str, kind: u32, to: u32, extra: u32) -> u32 {
            let id = self.ty(name, kind, false, 0, to);
            self.put(extra);
            id
        }

        fn datasec(&mut self, name: &str, vars: &[(u32, u32, u32)]) -> u32 {
            let size = vars.iter().map(|v| v.1 + v.2).max().unwrap_or(0);
            let id = self.ty(name, DATASEC, false, vars.len(), size);
            for &(t, off, size) in vars {
                self.put(t);
                self.put(off);
                self.put(size);
            }
            id
        }

        fn build(&self) -> Vec<u8> {
            let type_len = u32::try_from(self.types.len()).expect("small");
            let str_len = u32::try_from(self.strs.len()).expect("small");
            let mut out = Vec::new();
            out.extend_from_slice(&MAGIC.to_le_bytes());
            out.push(1); // version
            out.push(0); // flags
            for v in [24, 0, type_len, type_len, str_len] {
                out.extend_from_slice(&u32::to_le_bytes(v));
            }
            out.extend_from_slice(&self.types);
            out.extend_from_slice(&self.strs);
            out
        }
    }

    /// Every kind, a struct `foo` with an anonymous union (holding a nested anonymous struct),
    /// bitfields, a typedef, a pointer, an array, and a tracepoint prototype `btf_trace_x`.
    fn synthetic() -> Vec<u8> {
        let mut b = Builder::new();
        let int = b.int("int", 4);
        let uint = b.int("unsigned int", 4);
        let long = b.int("long int", 8);
        let chr = b.int("char", 1);
        // Kinds with extra data that nothing below uses: a parser that sizes them wrongly shifts
        // every later id and fails the lookups.
        b.plain(FLOAT, "double", 8);
        let color = b.enum32("color", &[("RED", 0), ("GREEN", 1)]);
        b.enum64("big", &[("HUGE", 1 << 40), ("SMALL", 1)]);
        let var = b.with_u32("some_var", VAR, int, 1);
        b.datasec(".data", &[(var, 0, 4)]);
        b.with_u32("a_tag", DECL_TAG, int, u32::MAX);
        let tagged_int = b.plain(TYPE_TAG, "user", int);
        let vol_uint = b.plain(VOLATILE, "", uint);
        let u32_t = b.plain(TYPEDEF, "u32", uint);
        let cu32 = b.plain(CONST, "", u32_t);
        b.ty("foo", FWD, false, 0, 0);
        b.ty("opaque", FWD, false, 0, 0);
        b.composite(STRUCT, "empty", 0, false, &[]);
        b.composite(
            UNION,
            "un",
            4,
            false,
            &[("i", int, 0, 0), ("u", uint, 0, 0)],
        );
        let inner_anon = b.composite(
            STRUCT,
            "",
            8,
            false,
            &[("pad", int, 0, 0), ("deep", u32_t, 32, 0)],
        );
        let anon_union = b.composite(
            UNION,
            "",
            8,
            false,
            &[("x", int, 0, 0), ("y", long, 0, 0), ("", inner_anon, 0, 0)],
        );
        let bar = b.composite(
            STRUCT,
            "bar",
            8,
            false,
            &[("lo", u32_t, 0, 0), ("hi", tagged_int, 32, 0)],
        );
        let arr = b.array(int, int, 4);
        let foo = b.next_id();
        let ptr_foo = foo + 1;
        let volatile_int = foo + 2;
        b.composite(
            STRUCT,
            "foo",
            64,
            true,
            &[
                ("a", int, 0, 0),
                ("", anon_union, 64, 0),
                ("flags", uint, 128, 3),
                ("mode", uint, 131, 5),
                ("byte_bf", uint, 136, 8),
                ("next", ptr_foo, 192, 0),
                ("c", cu32, 256, 0),
                ("inner", bar, 288, 0),
                ("arr", arr, 352, 0),
                ("v", volatile_int, 480, 0),
            ],
        );
        assert_eq!(b.plain(PTR, "", foo), ptr_foo);
        assert_eq!(b.plain(VOLATILE, "", int), volatile_int);
        let const_foo = b.plain(CONST, "", foo);
        let ptr_const_foo = b.plain(PTR, "", const_foo);
        let void_ptr = b.plain(PTR, "", 0);
        let ptr_char = b.plain(PTR, "", chr);
        let ptr_ptr_char = b.plain(PTR, "", ptr_char);
        let const_ptr_char = b.plain(CONST, "", ptr_char);
        let restrict_ptr = b.plain(RESTRICT, "", ptr_char);
        let callback = b.func_proto(int, &[("", long)]);
        let ptr_callback = b.plain(PTR, "", callback);
        let proto = b.func_proto(
            0,
            &[
                ("__data", void_ptr),
                ("f", ptr_const_foo),
                ("n", long),
                ("u", u32_t),
                ("pp", ptr_ptr_char),
                ("cp", const_ptr_char),
                ("e", color),
                ("vu", vol_uint),
                ("r", restrict_ptr),
                ("cb", ptr_callback),
            ],
        );
        let ptr_proto = b.plain(PTR, "", proto);
        b.plain(TYPEDEF, "btf_trace_x", ptr_proto);
        b.plain(FUNC, "do_x", proto);
        b.plain(TYPEDEF, "btf_trace_bad", int);
        b.build()
    }

    fn err<T: fmt::Debug>(r: Result<T>) -> String {
        format!("{:#}", r.expect_err("expected an error"))
    }

    fn m(byte_offset: u32, bit_offset: u32, bitfield_size: u32, size: u32) -> Member {
        Member {
            byte_offset,
            bit_offset,
            bitfield_size,
            size,
        }
    }

    #[test]
    fn synthetic_structs() {
        let btf = Btf::from_bytes(synthetic()).expect("synthetic blob parses");
        assert_eq!(btf.struct_size("foo").expect("foo"), 64);
        assert_eq!(btf.struct_size("bar").expect("bar"), 8);
        assert_eq!(btf.struct_size("un").expect("union"), 4);
        assert_eq!(btf.struct_size("empty").expect("empty"), 0);
        assert!(err(btf.struct_size("opaque")).contains("opaque"));
        assert_eq!(
            err(btf.struct_size("nope")),
            "BTF: no struct or union named `nope`"
        );
        assert!(err(btf.struct_size("u32")).contains("u32"));
        assert!(btf.has_struct("foo") && btf.has_struct("un") && btf.has_struct("empty"));
        assert!(!btf.has_struct("opaque") && !btf.has_struct("u32") && !btf.has_struct("nope"));
        assert!(btf.has_func("do_x"));
        assert!(!btf.has_func("foo") && !btf.has_func("btf_trace_x") && !btf.has_func(""));
    }

    #[test]
    fn synthetic_members() {
        let btf = Btf::from_bytes(synthetic()).expect("synthetic blob parses");
        let cases = [
            ("a", m(0, 0, 0, 4)),
            ("x", m(8, 64, 0, 4)),
            ("y", m(8, 64, 0, 8)),
            ("pad", m(8, 64, 0, 4)),
            ("deep", m(12, 96, 0, 4)),
            ("flags", m(16, 128, 3, 4)),
            ("mode", m(16, 131, 5, 4)),
            ("byte_bf", m(17, 136, 8, 4)),
            ("next", m(24, 192, 0, 8)),
            ("c", m(32, 256, 0, 4)),
            ("inner", m(36, 288, 0, 8)),
            ("inner.lo", m(36, 288, 0, 4)),
            ("inner.hi", m(40, 320, 0, 4)),
            ("arr", m(44, 352, 0, 16)),
            ("v", m(60, 480, 0, 4)),
        ];
        for (path, want) in cases {
            assert_eq!(btf.member("foo", path).expect(path), want, "foo.{path}");
        }
        assert_eq!(btf.member("un", "u").expect("un.u"), m(0, 0, 0, 4));
        assert_eq!(btf.member_offset("foo", "deep").expect("deep"), 12);
        assert_eq!(btf.member_offset("foo", "inner.hi").expect("inner.hi"), 40);
        assert_eq!(
            btf.member_offset("foo", "flags")
                .expect("byte-aligned bitfield"),
            16
        );
        assert_eq!(
            btf.member_offset("foo", "byte_bf")
                .expect("byte-aligned bitfield"),
            17
        );
        assert!(err(btf.member_offset("foo", "mode")).contains("bitfield"));
    }

    #[test]
    fn synthetic_member_errors() {
        let btf = Btf::from_bytes(synthetic()).expect("synthetic blob parses");
        assert_eq!(
            err(btf.member("foo", "nope")),
            "BTF: struct foo has no member `nope`"
        );
        let e = err(btf.member("foo", "inner.nope"));
        assert!(
            e.contains("struct bar") && e.contains("`nope`") && e.contains("inner.nope"),
            "{e}"
        );
        let e = err(btf.member("foo", "a.b"));
        assert!(e.contains("`a`") && e.contains("`int`"), "{e}");
        let e = err(btf.member("foo", "next.a"));
        assert!(e.contains("struct foo *"), "{e}");
        assert!(err(btf.member("foo", "")).contains("empty component"));
        assert!(err(btf.member("foo", "inner.")).contains("empty component"));
        assert!(err(btf.member("opaque", "a")).contains("opaque"));
        assert!(err(btf.member_offset("nope", "a")).contains("nope"));
    }

    #[test]
    fn synthetic_tracepoint() {
        let btf = Btf::from_bytes(synthetic()).expect("synthetic blob parses");
        let want = [
            "const struct foo *",
            "long int",
            "u32",
            "char **",
            "char * const",
            "enum color",
            "volatile unsigned int",
            "char * restrict",
            "int (*)(long int)",
        ];
        assert_eq!(btf.tracepoint_params("x").expect("btf_trace_x"), want);
        assert!(err(btf.tracepoint_params("y")).contains("btf_trace_y"));
        assert!(err(btf.tracepoint_params("bad")).contains("btf_trace_bad"));
    }

    #[test]
    fn truncated_and_garbage_inputs_fail() {
        let blob = synthetic();
        for len in 0..blob.len() {
            let prefix = blob.get(..len).expect("in range").to_vec();
            assert!(
                Btf::from_bytes(prefix).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
        let mut wrong = blob.clone();
        wrong[0] = 0;
        assert!(err(Btf::from_bytes(wrong)).contains("magic"));
        let mut big_endian = blob.clone();
        big_endian.swap(0, 1);
        assert!(err(Btf::from_bytes(big_endian)).contains("big-endian"));
        let mut version = blob.clone();
        version[2] = 2;
        assert!(err(Btf::from_bytes(version)).contains("version"));
        let mut kind = blob.clone();
        kind[HEADER_LEN + 7] = 0x1f; // first type's kind byte
        assert!(err(Btf::from_bytes(kind)).contains("unknown kind"));
        assert!(Btf::from_bytes(Vec::new()).is_err());
    }

    /// Runs every query against a parsed blob; the results do not matter, only that nothing panics
    /// or hangs.
    fn exercise(btf: &Btf) {
        for name in ["foo", "un", "opaque", "do_x", ""] {
            let _ = btf.struct_size(name);
            let _ = btf.has_struct(name);
            let _ = btf.has_func(name);
            for path in ["deep", "mode", "v", "inner.hi", "next.a"] {
                let _ = btf.member(name, path);
                let _ = btf.member_offset(name, path);
            }
        }
        for tp in ["x", "bad", "y"] {
            let _ = btf.tracepoint_params(tp);
        }
    }

    #[test]
    fn corrupted_inputs_never_panic() {
        let blob = synthetic();
        for pos in 0..blob.len() {
            for value in [0x00, 0x01, 0x0d, 0x80, 0xff] {
                let mut bad = blob.clone();
                bad[pos] = value;
                if let Ok(btf) = Btf::from_bytes(bad) {
                    exercise(&btf);
                }
            }
        }
        // Random bytes behind a valid magic and version.
        let mut state = 0x1234_5678_9abc_def0_u64;
        for len in 0..400 {
            let mut bytes = vec![0x9f, 0xeb, 1, 0];
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(state.to_le_bytes()[0]);
            }
            if let Ok(btf) = Btf::from_bytes(bytes) {
                exercise(&btf);
            }
        }
    }

    #[test]
    fn cycles_are_errors() {
        let mut b = Builder::new();
        let int = b.int("int", 4);
        let a = b.next_id();
        b.plain(TYPEDEF, "ta", a + 1);
        b.plain(TYPEDEF, "tb", a);
        let looped = b.next_id();
        b.composite(
            STRUCT,
            "loop",
            4,
            false,
            &[("", looped, 0, 0), ("", looped, 0, 0)],
        );
        let arr = b.next_id();
        b.array(arr, int, 2);
        b.composite(
            STRUCT,
            "s",
            8,
            false,
            &[("t", a, 0, 0), ("arr", arr, 32, 0)],
        );
        let ptr = b.plain(PTR, "", a);
        b.plain(TYPEDEF, "btf_trace_c", ptr);
        let btf = Btf::from_bytes(b.build()).expect("cyclic blob still parses");
        assert!(btf.member("loop", "z").is_err());
        assert!(btf.member("s", "t").is_err());
        assert!(btf.member("s", "arr").is_err());
        assert!(btf.member("s", "t.x").is_err());
        assert!(btf.tracepoint_params("c").is_err());
    }

    // ---- the running kernel ----

    /// The running kernel's BTF, or `None` (after a loud note) if it has none; under `CI=true` a
    /// missing BTF fails the test instead.
    fn kernel_btf() -> Option<Btf> {
        if !std::path::Path::new(SYS_PATH).exists() {
            eprintln!(
                "{}",
                skip_without_btf(std::env::var("CI").as_deref() == Ok("true"))
            );
            return None;
        }
        let start = std::time::Instant::now();
        let btf = Btf::from_sys().expect("kernel BTF parses");
        eprintln!("parsed {btf:?} in {:?}", start.elapsed());
        Some(btf)
    }

    /// What a real-kernel test does on a machine without BTF: fail under CI, otherwise return the
    /// loud note to print.
    fn skip_without_btf(ci: bool) -> String {
        assert!(
            !ci,
            "{SYS_PATH} is missing and CI=true: the real-kernel BTF tests must run in CI"
        );
        format!("SKIPPED: no BTF ({SYS_PATH} missing); real-kernel BTF test not run")
    }

    #[test]
    fn missing_btf_skips_outside_ci() {
        assert!(skip_without_btf(false).starts_with("SKIPPED: no BTF"));
    }

    #[test]
    #[should_panic(expected = "CI=true")]
    fn missing_btf_fails_under_ci() {
        skip_without_btf(true);
    }

    #[test]
    fn kernel_offsets() {
        let Some(btf) = kernel_btf() else { return };
        let pid = btf
            .member_offset("task_struct", "pid")
            .expect("task_struct.pid");
        assert!(pid > 0);
        eprintln!("task_struct.pid at {pid}");
        assert_eq!(
            btf.member_offset("task_struct", "tgid")
                .expect("task_struct.tgid"),
            pid + 4
        );
        assert_eq!(btf.member("task_struct", "pid").expect("pid").size, 4);
        let mut fields = vec![
            ("cred", "fsuid"),
            ("cred", "security"),
            ("task_struct", "seccomp.mode"),
            ("task_struct", "real_cred"),
            ("kernel_siginfo", "_sifields._sigsys._syscall"),
            ("linux_binprm", "filename"),
            ("landlock_ruleset", "num_layers"),
        ];
        if cfg!(target_arch = "x86_64") {
            fields.extend([("pt_regs", "orig_ax"), ("pt_regs", "di")]);
        }
        for (s, path) in fields {
            let m = btf
                .member(s, path)
                .unwrap_or_else(|e| panic!("{s}.{path}: {e:#}"));
            assert!(m.size > 0, "{s}.{path} has size 0");
            let size = btf.struct_size(s).expect("struct size");
            assert!(
                m.byte_offset + m.size <= size,
                "{s}.{path} {m:?} outside struct of {size} bytes"
            );
            eprintln!("{s}.{path}: {m:?}");
        }
        assert_eq!(
            btf.member("cred", "security").expect("cred.security").size,
            8
        );
        assert_eq!(
            btf.member("kernel_siginfo", "_sifields._sigsys._syscall")
                .expect("_syscall")
                .size,
            4
        );
        assert!(btf.has_struct("task_struct"));
        assert!(!btf.has_struct("no_such_struct_denytrace"));
        let e = err(btf.member("task_struct", "foo"));
        assert_eq!(e, "BTF: struct task_struct has no member `foo`");
    }

    #[test]
    fn kernel_tracepoints() {
        let Some(btf) = kernel_btf() else { return };
        assert_eq!(
            btf.tracepoint_params("sys_exit").expect("sys_exit"),
            ["struct pt_regs *", "long int"]
        );
        assert_eq!(
            btf.tracepoint_params("sys_enter").expect("sys_enter"),
            ["struct pt_regs *", "long int"]
        );
        let e = err(btf.tracepoint_params("no_such_tracepoint_denytrace"));
        assert!(e.contains("btf_trace_no_such_tracepoint_denytrace"), "{e}");
        assert!(!btf.has_func("no_such_function_denytrace"));
        assert!(!btf.has_func("task_struct"));
        // Newer kernels only; checked where present.
        match btf.tracepoint_params("cap_capable") {
            Ok(params) => assert_eq!(
                params,
                [
                    "const struct cred *",
                    "struct user_namespace *",
                    "const struct user_namespace *",
                    "int",
                    "int"
                ]
            ),
            Err(e) => eprintln!("note: no cap_capable tracepoint here ({e:#})"),
        }
    }
}
