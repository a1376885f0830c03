//! Byte searches that never ask the CPU what it has.
//!
//! memchr's general entry points pick AVX2 or SSE2 on first use, which
//! reads the CPU's features with `cpuid`. Under a hypervisor that traps
//! `cpuid` (about 7 µs an instruction on the machines this is benchmarked
//! on), that first use costs a small build about a fiftieth of its time.
//! SSE2 is part of x86-64 itself, so its routines need no question; the
//! texts searched are source files, where the wider vectors gain little.

/// Where each line of `text` starts: 0, and after every `\n`.
pub fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is in every x86-64 CPU.
        let newline = unsafe { memchr::arch::x86_64::sse2::memchr::One::new_unchecked(b'\n') };
        starts.extend(newline.iter(text).map(|i| i + 1));
    }
    #[cfg(not(target_arch = "x86_64"))]
    starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
    starts
}

/// Where `a` or `b` first is in `haystack`.
pub fn find_either(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is in every x86-64 CPU.
        unsafe { memchr::arch::x86_64::sse2::memchr::Two::new_unchecked(a, b) }.find(haystack)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        memchr::memchr2(a, b, haystack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts around the vector width, with the bytes sought at each end,
    /// side by side, and absent.
    fn texts() -> Vec<Vec<u8>> {
        let mut texts = vec![Vec::new(), b"\n".to_vec(), b"\r\n".to_vec()];
        for len in [1, 15, 16, 17, 31, 32, 33, 64, 65, 200] {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            texts.push(plain.clone());
            for at in [0, len / 2, len - 1] {
                let mut t = plain.clone();
                t[at] = b'\n';
                texts.push(t.clone());
                t[len - 1 - at] = b'\r';
                texts.push(t);
            }
        }
        texts
    }

    #[test]
    fn line_starts_are_after_every_newline() {
        for text in texts() {
            let expected: Vec<usize> = std::iter::once(0)
                .chain((0..text.len()).filter(|&i| text[i] == b'\n').map(|i| i + 1))
                .collect();
            assert_eq!(line_starts(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn find_either_finds_the_first_of_two_bytes() {
        for text in texts() {
            let expected = text.iter().position(|&b| b == b'\n' || b == b'\r');
            assert_eq!(find_either(b'\n', b'\r', &text), expected, "{text:?}");
        }
    }
}
