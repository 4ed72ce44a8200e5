//! The `ErrorType` flags, with Hertz's exact bit values.
//!
//! Hertz (unlike Gin) gives `ANY` its own bit rather than all bits, so `is_type(ANY)` is true only
//! for errors that carry the `ANY` bit, while `ErrorChain::by_type(ANY)` special-cases it and
//! returns every error. Keeping the values identical keeps stored/serialized types comparable with
//! Go services.

bitflags::bitflags! {
    /// The kind of an [`Error`](crate::Error), as bit flags (Hertz's `ErrorType`).
    ///
    /// ```
    /// use errata_errors::ErrorType;
    /// assert_eq!(ErrorType::BIND.bits(), 1);
    /// assert_eq!(ErrorType::ANY.bits(), 16);
    /// let t = ErrorType::BIND | ErrorType::PUBLIC;
    /// assert!(t.intersects(ErrorType::PUBLIC));
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ErrorType: u64 {
        /// The request could not be bound (parsed/validated); Hertz `ErrorTypeBind`.
        const BIND = 1 << 0;
        /// The response could not be rendered; Hertz `ErrorTypeRender`.
        const RENDER = 1 << 1;
        /// Internal detail that must never reach a client; Hertz `ErrorTypePrivate`.
        const PRIVATE = 1 << 2;
        /// A message meant for the client; Hertz `ErrorTypePublic`.
        const PUBLIC = 1 << 3;
        /// Hertz `ErrorTypeAny`: matches everything in `ErrorChain::by_type`.
        const ANY = 1 << 4;
    }
}
