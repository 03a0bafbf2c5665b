//! The address of an `AF_ALG` socket (the kernel's crypto API), Python's
//! `(type, name, feat, mask)`, carried as [`Address::Other`] with the bytes
//! of a `sockaddr_alg`.

use std::fmt;

use super::{Address, ToAddress};
use crate::constants::Family;
use crate::error::{Error, Result};

/// `sizeof(struct sockaddr_alg)`: family, type\[14\], feat, mask, name\[64\].
const LEN: usize = 88;
const TYPE_AT: usize = 2;
const TYPE_LEN: usize = 14;
const FEAT_AT: usize = 16;
const MASK_AT: usize = 20;
const NAME_AT: usize = 24;
const NAME_LEN: usize = 64;

/// The address of an `AF_ALG` socket: Python's `(type, name, feat, mask)`,
/// such as `("hash", "sha256")`.
///
/// The crate has no [`Address`] variant for it: [`encode`](AlgAddress::encode)
/// gives the [`Address::Other`] holding the kernel's `sockaddr_alg`, which
/// `bind` takes, and [`decode`](AlgAddress::decode) reads one back. The
/// layout is tested byte for byte against libc's `sockaddr_alg`; a real
/// `AF_ALG` bind runs only where the kernel allows the family.
///
/// ```
/// use pysocket::{Address, AlgAddress};
/// let addr = AlgAddress::new("hash", "sha256");
/// let Address::Other { data, .. } = addr.encode()? else { unreachable!() };
/// assert_eq!(&data[..4], b"hash");
/// assert_eq!(AlgAddress::decode(&addr.encode()?)?, addr);
/// assert_eq!(addr.to_string(), "('hash', 'sha256', 0, 0)");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlgAddress {
    /// The algorithm type (`salg_type`): `"hash"`, `"skcipher"`, `"aead"`, ...
    pub kind: String,
    /// The algorithm (`salg_name`): `"sha256"`, `"cbc(aes)"`, ...
    pub name: String,
    /// Required features (`salg_feat`).
    pub feat: u32,
    /// The features' mask (`salg_mask`).
    pub mask: u32,
}

impl AlgAddress {
    /// The address of an algorithm by type and name: Python's `(type, name)`.
    ///
    /// ```
    /// use pysocket::AlgAddress;
    /// let addr = AlgAddress::new("skcipher", "cbc(aes)");
    /// assert_eq!((addr.feat, addr.mask), (0, 0));
    /// ```
    pub fn new(kind: &str, name: &str) -> AlgAddress {
        AlgAddress {
            kind: kind.to_owned(),
            name: name.to_owned(),
            ..AlgAddress::default()
        }
    }

    /// The `sockaddr_alg` as an [`Address::Other`] of family `AF_ALG`; an
    /// error when the type (13 bytes at most) or the name (63) does not fit,
    /// or holds a NUL byte.
    ///
    /// ```
    /// use pysocket::AlgAddress;
    /// assert!(AlgAddress::new("hash", "sha256").encode().is_ok());
    /// let err = AlgAddress::new("a-type-too-long", "sha256").encode().unwrap_err();
    /// assert!(err.to_string().contains("AF_ALG type"));
    /// ```
    pub fn encode(&self) -> Result<Address> {
        let mut bytes = vec![0u8; LEN];
        bytes[..2].copy_from_slice(&(libc::AF_ALG as libc::sa_family_t).to_ne_bytes());
        put_name(&mut bytes[TYPE_AT..TYPE_AT + TYPE_LEN], &self.kind, "type")?;
        bytes[FEAT_AT..FEAT_AT + 4].copy_from_slice(&self.feat.to_ne_bytes());
        bytes[MASK_AT..MASK_AT + 4].copy_from_slice(&self.mask.to_ne_bytes());
        put_name(&mut bytes[NAME_AT..NAME_AT + NAME_LEN], &self.name, "name")?;
        Ok(Address::Other {
            family: Family::from(libc::AF_ALG),
            data: bytes.split_off(2),
        })
    }

    /// Reads an `AF_ALG` address back from its `sockaddr_alg` bytes; an error
    /// for another family or bytes too short.
    ///
    /// ```
    /// use pysocket::{Address, AlgAddress};
    /// let addr = AlgAddress::new("aead", "gcm(aes)").encode()?;
    /// assert_eq!(AlgAddress::decode(&addr)?.name, "gcm(aes)");
    /// assert!(AlgAddress::decode(&Address::Netlink { pid: 0, groups: 0 }).is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn decode(addr: &Address) -> Result<AlgAddress> {
        let data = match addr {
            Address::Other { family, data } if family.as_raw() == libc::AF_ALG => data,
            other => return Err(Error::invalid(format!("{other} is not an AF_ALG address"))),
        };
        // `data` starts after the family field.
        if data.len() < LEN - 2 {
            return Err(Error::invalid(format!(
                "truncated AF_ALG address: {} bytes, a sockaddr_alg takes {LEN}",
                data.len() + 2
            )));
        }
        let at = |offset: usize| offset - 2;
        let word = |offset: usize| {
            u32::from_ne_bytes(
                data[at(offset)..at(offset) + 4]
                    .try_into()
                    .expect("4 bytes"),
            )
        };
        Ok(AlgAddress {
            kind: c_text(&data[at(TYPE_AT)..at(TYPE_AT) + TYPE_LEN]),
            name: c_text(&data[at(NAME_AT)..at(NAME_AT) + NAME_LEN]),
            feat: word(FEAT_AT),
            mask: word(MASK_AT),
        })
    }
}

/// Writes `text` NUL-terminated into `field`, or says why it cannot.
fn put_name(field: &mut [u8], text: &str, what: &str) -> Result<()> {
    if text.as_bytes().contains(&0) {
        return Err(Error::invalid(format!(
            "AF_ALG {what} {text:?} contains a NUL byte"
        )));
    }
    if text.len() >= field.len() {
        return Err(Error::invalid(format!(
            "AF_ALG {what} too long: {text:?} is {} bytes, the limit is {}",
            text.len(),
            field.len() - 1
        )));
    }
    field[..text.len()].copy_from_slice(text.as_bytes());
    Ok(())
}

/// The text up to the first NUL.
fn c_text(field: &[u8]) -> String {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

impl fmt::Display for AlgAddress {
    /// Python's tuple: `('hash', 'sha256', 0, 0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "('{}', '{}', {}, {})",
            self.kind.escape_default(),
            self.name.escape_default(),
            self.feat,
            self.mask
        )
    }
}

impl ToAddress for AlgAddress {
    fn to_address(&self, family: Family) -> Result<Address> {
        if family.as_raw() != libc::AF_ALG {
            return Err(Error::invalid(format!(
                "an {family} socket does not take the AF_ALG address {self}"
            )));
        }
        self.encode()
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}
