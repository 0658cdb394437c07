// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

interface IMintable {
    function mint(address to, uint256 amount) external;
}

/// @title datafi payout distributor
/// @notice Each epoch the publisher posts one Merkle root over the CUMULATIVE
/// amount (token base units) owed to every wallet since the beginning. Anyone
/// (the wallet owner or the service as a gasless relayer) can claim for an
/// account; the account receives `cumulativeAmount - claimed[account]`.
/// @dev Leaves follow OpenZeppelin's StandardMerkleTree ("standard-v1") with
/// leaf encoding ["address", "uint256"]:
///     leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))
/// and sorted-pair (commutative) keccak for inner nodes, so a published dump can
/// be checked with the npm package "openzeppelin merkle-tree" or rewards/merkle.py.
///
/// Because amounts are cumulative, only the latest root matters: a wallet that
/// skipped epochs claims everything in one transaction, and an old proof cannot
/// be replayed for more than the wallet was ever owed.
///
/// Payouts are minted (this contract must hold the token's MINTER_ROLE) rather
/// than transferred from a balance, so funding is never a separate step that can
/// run dry mid-epoch. The cost is that the publisher key bounds total supply:
/// keep PUBLISHER_ROLE on a key as guarded as the admin's.
contract MerkleDistributor is AccessControl {
    bytes32 public constant PUBLISHER_ROLE = keccak256("PUBLISHER_ROLE");

    IMintable public immutable token;

    /// @notice Root over the cumulative amounts of the latest epoch (zero before the first).
    bytes32 public merkleRoot;
    /// @notice Latest published epoch (zero before the first).
    uint256 public epoch;
    /// @notice Cumulative amount already paid to each account.
    mapping(address account => uint256) public claimed;

    event RootPublished(uint256 indexed epoch, bytes32 root);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount, uint256 indexed epoch);

    error InvalidProof();
    error NothingToClaim();
    error EpochNotIncreasing(uint256 currentEpoch, uint256 proposedEpoch);
    error ZeroRoot();

    constructor(IMintable token_, address admin, address publisher) {
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PUBLISHER_ROLE, publisher);
    }

    function publishRoot(bytes32 root, uint256 newEpoch) external onlyRole(PUBLISHER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        // A strictly increasing epoch makes a re-sent publish transaction (after a
        // timeout) fail loudly instead of silently re-publishing.
        if (newEpoch <= epoch) revert EpochNotIncreasing(epoch, newEpoch);
        merkleRoot = root;
        epoch = newEpoch;
        emit RootPublished(newEpoch, root);
    }

    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidProof();

        uint256 alreadyClaimed = claimed[account];
        // Also what makes a second claim of the same cumulative amount revert.
        if (cumulativeAmount <= alreadyClaimed) revert NothingToClaim();

        uint256 amount = cumulativeAmount - alreadyClaimed;
        // State before the external call: the token is ours, but keep the
        // checks-effects-interactions order so a different token could not re-enter.
        claimed[account] = cumulativeAmount;
        token.mint(account, amount);
        emit Claimed(account, amount, cumulativeAmount, epoch);
    }
}
