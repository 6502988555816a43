//! Oblivious selection (multiplexer): `c ? a : b = b + c (a - b)` with the
//! bit `c` injected into the ring. Three rounds (two for the injection, one
//! multiplication), 5 elements sent in total per selected value.

use crate::convert::inject;
use crate::mul::mul;
use crate::share::{ArithShares, BitShares};
use crate::transport::Transport;
use crate::{Party, Result};

/// `c[k] ? a[k] : b[k]` element-wise.
pub fn select<T: Transport>(
    party: &mut Party<T>,
    c: &BitShares,
    a: &ArithShares,
    b: &ArithShares,
) -> Result<ArithShares> {
    Party::<T>::check_len("select", a.len(), b.len())?;
    Party::<T>::check_len("select condition", c.len(), a.len())?;
    let ca = inject(party, c)?;
    Ok(b.add(&mul(party, &ca, &a.sub(b))?))
}

/// `c[k] * a[k]` for a shared bit and a shared value.
pub fn bit_times<T: Transport>(
    party: &mut Party<T>,
    c: &BitShares,
    a: &ArithShares,
) -> Result<ArithShares> {
    Party::<T>::check_len("bit_times", c.len(), a.len())?;
    let ca = inject(party, c)?;
    mul(party, &ca, a)
}
