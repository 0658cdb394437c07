// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title datafi data market
/// @notice A buyer pays for one dataset version in the payment token (a stablecoin in
/// production), against a quote the service signed for that buyer's address: order id,
/// dataset, version, amount and a deadline. Each order is paid at most once; the
/// tokens go to the treasury in the same call, and the Purchased event is what the
/// service confirms (after its confirmations) before it grants the download and books
/// the sale.
/// @dev The quote is an EIP-191 signature over
/// keccak256(abi.encode(chainid, this, orderId, buyer, dataset, version, amount, deadline)),
/// so a quote cannot be replayed on another chain, another market, by another buyer,
/// or for another amount.
contract DataMarket is AccessControl {
    using SafeERC20 for IERC20;

    bytes32 public constant QUOTER_ROLE = keccak256("QUOTER_ROLE");

    IERC20 public immutable paymentToken;
    address public immutable treasury;

    mapping(bytes32 orderId => bool) public paid;

    event Purchased(
        bytes32 indexed orderId, address indexed buyer, uint256 indexed dataset, uint256 version, uint256 amount
    );

    error OrderAlreadyPaid(bytes32 orderId);
    error QuoteExpired(bytes32 orderId, uint64 deadline);
    error BadQuote(bytes32 orderId);

    constructor(IERC20 token, address treasury_, address admin, address quoter) {
        paymentToken = token;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(QUOTER_ROLE, quoter);
    }

    function quoteDigest(
        bytes32 orderId,
        address buyer,
        uint256 dataset,
        uint256 version,
        uint256 amount,
        uint64 deadline
    ) public view returns (bytes32) {
        return MessageHashUtils.toEthSignedMessageHash(
            keccak256(abi.encode(block.chainid, address(this), orderId, buyer, dataset, version, amount, deadline))
        );
    }

    /// @notice Pay ``amount`` of the payment token for (dataset, version) under a quote.
    /// The buyer approves this contract for ``amount`` first.
    function purchase(
        bytes32 orderId,
        uint256 dataset,
        uint256 version,
        uint256 amount,
        uint64 deadline,
        bytes calldata quote
    ) external {
        if (paid[orderId]) revert OrderAlreadyPaid(orderId);
        if (block.timestamp > deadline) revert QuoteExpired(orderId, deadline);
        bytes32 digest = quoteDigest(orderId, msg.sender, dataset, version, amount, deadline);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, quote);
        if (err != ECDSA.RecoverError.NoError || !hasRole(QUOTER_ROLE, signer)) revert BadQuote(orderId);
        paid[orderId] = true;
        paymentToken.safeTransferFrom(msg.sender, treasury, amount);
        emit Purchased(orderId, msg.sender, dataset, version, amount);
    }
}
