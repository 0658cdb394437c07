// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title datafi reward token
/// @notice ERC-20 paid out for redeemed points.
/// @dev Decimals are the ERC-20 default of 18 so that wallets display whole
/// tokens: 1 point = 1 token = 10**18 base units. Merkle leaves and `claim`
/// amounts are always in base units (points * 10**18), never in points.
/// Supply is created only by holders of MINTER_ROLE (the MerkleDistributor),
/// so the token needs no pre-funding and total supply equals what was claimed.
contract RewardToken is ERC20, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin) ERC20("datafi Reward", "DATAFI") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
