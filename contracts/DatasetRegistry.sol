// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title datafi dataset registry
/// @notice One record per published dataset version: the Merkle root over its rows
/// (see datafi/market/canonical.py for the row form and the leaf hash), the keccak256
/// of its canonical metadata (title, licence, per-model terms, row count, filter) and
/// its row count. A buyer checks a downloaded copy against the root; a contributor
/// checks that a row of theirs is under it.
/// @dev A version is written once: registering it again reverts, so a re-sent
/// transaction (after a timeout) fails loudly instead of overwriting, and a new
/// version is always a new record with a new root.
contract DatasetRegistry is AccessControl {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    struct Version {
        bytes32 root;
        bytes32 metadataHash;
        uint64 rowCount;
        uint64 registeredAt;
    }

    mapping(uint256 dataset => mapping(uint256 version => Version)) private _versions;

    event VersionRegistered(
        uint256 indexed dataset, uint256 indexed version, bytes32 root, bytes32 metadataHash, uint64 rowCount
    );

    error ZeroRoot();
    error ZeroVersion();
    error AlreadyRegistered(uint256 dataset, uint256 version);

    constructor(address admin, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    function register(uint256 dataset, uint256 version, bytes32 root, bytes32 metadataHash, uint64 rowCount)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (root == bytes32(0)) revert ZeroRoot();
        if (version == 0) revert ZeroVersion();
        if (_versions[dataset][version].root != bytes32(0)) revert AlreadyRegistered(dataset, version);
        _versions[dataset][version] = Version(root, metadataHash, rowCount, uint64(block.timestamp));
        emit VersionRegistered(dataset, version, root, metadataHash, rowCount);
    }

    /// @notice The record of a version; all zero when it was never registered.
    function versionOf(uint256 dataset, uint256 version)
        external
        view
        returns (bytes32 root, bytes32 metadataHash, uint64 rowCount, uint64 registeredAt)
    {
        Version memory v = _versions[dataset][version];
        return (v.root, v.metadataHash, v.rowCount, v.registeredAt);
    }
}
