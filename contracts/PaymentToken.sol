// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title datafi test dollar
/// @notice The data market's payment token on the embedded chain and on anvil: a
/// six-decimal ERC-20 like USDC, minted by the platform to buyers who want to try a
/// purchase. Production points the market at a real stablecoin instead
/// (CHAIN_PAYMENT_TOKEN_ADDRESS); this contract is never deployed there.
contract PaymentToken is ERC20, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin) ERC20("datafi test dollar", "tUSD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
