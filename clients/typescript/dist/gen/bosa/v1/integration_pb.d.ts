import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file bosa/v1/integration.proto.
 */
export declare const file_bosa_v1_integration: GenFile;
/**
 * Integration is one stored third-party credential of a user.
 *
 * @generated from message bosa.v1.Integration
 */
export type Integration = Message<"bosa.v1.Integration"> & {
    /**
     * Integration ID (a UUID); empty in GetIntegrationResponse.
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * ID of the BOSA client.
     *
     * @generated from field: string client_id = 2;
     */
    clientId: string;
    /**
     * ID of the user who owns the integration.
     *
     * @generated from field: string user_id = 3;
     */
    userId: string;
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 4;
     */
    connector: string;
    /**
     * Name of the integration within the connector, e.g. a GitHub login.
     *
     * @generated from field: string user_identifier = 5;
     */
    userIdentifier: string;
    /**
     * Whether this is the connector's default integration.
     *
     * @generated from field: bool selected = 6;
     */
    selected: boolean;
    /**
     * The stored credential, often stringified JSON. Only GetIntegration sets
     * it, and only when the gateway allows credentials to be exposed.
     *
     * @generated from field: string auth_string = 7;
     */
    authString: string;
    /**
     * True when the upstream returned a credential that the gateway withheld.
     *
     * @generated from field: bool auth_string_redacted = 8;
     */
    authStringRedacted: boolean;
    /**
     * OAuth2 scopes granted, when known.
     *
     * @generated from field: repeated string auth_scopes = 9;
     */
    authScopes: string[];
};
/**
 * Describes the message bosa.v1.Integration.
 * Use `create(IntegrationSchema)` to create a new message.
 */
export declare const IntegrationSchema: GenMessage<Integration>;
/**
 * CheckIntegrationRequest names a connector.
 *
 * @generated from message bosa.v1.CheckIntegrationRequest
 */
export type CheckIntegrationRequest = Message<"bosa.v1.CheckIntegrationRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
};
/**
 * Describes the message bosa.v1.CheckIntegrationRequest.
 * Use `create(CheckIntegrationRequestSchema)` to create a new message.
 */
export declare const CheckIntegrationRequestSchema: GenMessage<CheckIntegrationRequest>;
/**
 * CheckIntegrationResponse tells whether an integration exists.
 *
 * @generated from message bosa.v1.CheckIntegrationResponse
 */
export type CheckIntegrationResponse = Message<"bosa.v1.CheckIntegrationResponse"> & {
    /**
     * Whether the user has at least one integration for the connector.
     *
     * @generated from field: bool has_integration = 1;
     */
    hasIntegration: boolean;
};
/**
 * Describes the message bosa.v1.CheckIntegrationResponse.
 * Use `create(CheckIntegrationResponseSchema)` to create a new message.
 */
export declare const CheckIntegrationResponseSchema: GenMessage<CheckIntegrationResponse>;
/**
 * InitiateIntegrationRequest starts an OAuth2 integration.
 *
 * @generated from message bosa.v1.InitiateIntegrationRequest
 */
export type InitiateIntegrationRequest = Message<"bosa.v1.InitiateIntegrationRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Where the upstream sends the user's browser when the flow ends; on
     * failure it carries an error query parameter.
     *
     * @generated from field: string callback_url = 2;
     */
    callbackUrl: string;
};
/**
 * Describes the message bosa.v1.InitiateIntegrationRequest.
 * Use `create(InitiateIntegrationRequestSchema)` to create a new message.
 */
export declare const InitiateIntegrationRequestSchema: GenMessage<InitiateIntegrationRequest>;
/**
 * InitiateIntegrationResponse holds the authorization URL.
 *
 * @generated from message bosa.v1.InitiateIntegrationResponse
 */
export type InitiateIntegrationResponse = Message<"bosa.v1.InitiateIntegrationResponse"> & {
    /**
     * The provider's authorization URL to open in the user's browser.
     *
     * @generated from field: string url = 1;
     */
    url: string;
};
/**
 * Describes the message bosa.v1.InitiateIntegrationResponse.
 * Use `create(InitiateIntegrationResponseSchema)` to create a new message.
 */
export declare const InitiateIntegrationResponseSchema: GenMessage<InitiateIntegrationResponse>;
/**
 * ConfigureIntegrationRequest stores custom credentials.
 *
 * @generated from message bosa.v1.ConfigureIntegrationRequest
 */
export type ConfigureIntegrationRequest = Message<"bosa.v1.ConfigureIntegrationRequest"> & {
    /**
     * Connector name, e.g. "sql".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * The connector-specific configuration, e.g. for "sql": host, port,
     * database, username, password, driver and an optional identifier that
     * names the integration.
     *
     * @generated from field: google.protobuf.Struct configuration = 2;
     */
    configuration?: JsonObject | undefined;
};
/**
 * Describes the message bosa.v1.ConfigureIntegrationRequest.
 * Use `create(ConfigureIntegrationRequestSchema)` to create a new message.
 */
export declare const ConfigureIntegrationRequestSchema: GenMessage<ConfigureIntegrationRequest>;
/**
 * ConfigureIntegrationResponse is the upstream's answer.
 *
 * @generated from message bosa.v1.ConfigureIntegrationResponse
 */
export type ConfigureIntegrationResponse = Message<"bosa.v1.ConfigureIntegrationResponse"> & {
    /**
     * The upstream's data, typically the stored integration; credentials in it
     * are redacted like GetIntegration's.
     *
     * @generated from field: google.protobuf.Struct result = 1;
     */
    result?: JsonObject | undefined;
};
/**
 * Describes the message bosa.v1.ConfigureIntegrationResponse.
 * Use `create(ConfigureIntegrationResponseSchema)` to create a new message.
 */
export declare const ConfigureIntegrationResponseSchema: GenMessage<ConfigureIntegrationResponse>;
/**
 * ListIntegrationsRequest optionally narrows the list.
 *
 * @generated from message bosa.v1.ListIntegrationsRequest
 */
export type ListIntegrationsRequest = Message<"bosa.v1.ListIntegrationsRequest"> & {
    /**
     * Only integrations of this connector; empty lists all.
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
};
/**
 * Describes the message bosa.v1.ListIntegrationsRequest.
 * Use `create(ListIntegrationsRequestSchema)` to create a new message.
 */
export declare const ListIntegrationsRequestSchema: GenMessage<ListIntegrationsRequest>;
/**
 * ListIntegrationsResponse lists integrations.
 *
 * @generated from message bosa.v1.ListIntegrationsResponse
 */
export type ListIntegrationsResponse = Message<"bosa.v1.ListIntegrationsResponse"> & {
    /**
     * The integrations, without credentials.
     *
     * @generated from field: repeated bosa.v1.Integration integrations = 1;
     */
    integrations: Integration[];
};
/**
 * Describes the message bosa.v1.ListIntegrationsResponse.
 * Use `create(ListIntegrationsResponseSchema)` to create a new message.
 */
export declare const ListIntegrationsResponseSchema: GenMessage<ListIntegrationsResponse>;
/**
 * GetIntegrationRequest names one integration.
 *
 * @generated from message bosa.v1.GetIntegrationRequest
 */
export type GetIntegrationRequest = Message<"bosa.v1.GetIntegrationRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Name of the integration within the connector.
     *
     * @generated from field: string user_identifier = 2;
     */
    userIdentifier: string;
};
/**
 * Describes the message bosa.v1.GetIntegrationRequest.
 * Use `create(GetIntegrationRequestSchema)` to create a new message.
 */
export declare const GetIntegrationRequestSchema: GenMessage<GetIntegrationRequest>;
/**
 * GetIntegrationResponse holds one integration.
 *
 * @generated from message bosa.v1.GetIntegrationResponse
 */
export type GetIntegrationResponse = Message<"bosa.v1.GetIntegrationResponse"> & {
    /**
     * The integration; see Integration.auth_string for redaction.
     *
     * @generated from field: bosa.v1.Integration integration = 1;
     */
    integration?: Integration | undefined;
};
/**
 * Describes the message bosa.v1.GetIntegrationResponse.
 * Use `create(GetIntegrationResponseSchema)` to create a new message.
 */
export declare const GetIntegrationResponseSchema: GenMessage<GetIntegrationResponse>;
/**
 * SelectIntegrationRequest names the integration to make default.
 *
 * @generated from message bosa.v1.SelectIntegrationRequest
 */
export type SelectIntegrationRequest = Message<"bosa.v1.SelectIntegrationRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Name of the integration within the connector.
     *
     * @generated from field: string user_identifier = 2;
     */
    userIdentifier: string;
};
/**
 * Describes the message bosa.v1.SelectIntegrationRequest.
 * Use `create(SelectIntegrationRequestSchema)` to create a new message.
 */
export declare const SelectIntegrationRequestSchema: GenMessage<SelectIntegrationRequest>;
/**
 * SelectIntegrationResponse reports the outcome.
 *
 * @generated from message bosa.v1.SelectIntegrationResponse
 */
export type SelectIntegrationResponse = Message<"bosa.v1.SelectIntegrationResponse"> & {
    /**
     * True when the integration is now selected.
     *
     * @generated from field: bool success = 1;
     */
    success: boolean;
    /**
     * The upstream's message, if any.
     *
     * @generated from field: string message = 2;
     */
    message: string;
};
/**
 * Describes the message bosa.v1.SelectIntegrationResponse.
 * Use `create(SelectIntegrationResponseSchema)` to create a new message.
 */
export declare const SelectIntegrationResponseSchema: GenMessage<SelectIntegrationResponse>;
/**
 * RemoveIntegrationRequest names the integration to delete.
 *
 * @generated from message bosa.v1.RemoveIntegrationRequest
 */
export type RemoveIntegrationRequest = Message<"bosa.v1.RemoveIntegrationRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
    /**
     * Name of the integration within the connector.
     *
     * @generated from field: string user_identifier = 2;
     */
    userIdentifier: string;
};
/**
 * Describes the message bosa.v1.RemoveIntegrationRequest.
 * Use `create(RemoveIntegrationRequestSchema)` to create a new message.
 */
export declare const RemoveIntegrationRequestSchema: GenMessage<RemoveIntegrationRequest>;
/**
 * RemoveIntegrationResponse reports the outcome.
 *
 * @generated from message bosa.v1.RemoveIntegrationResponse
 */
export type RemoveIntegrationResponse = Message<"bosa.v1.RemoveIntegrationResponse"> & {
    /**
     * True when the integration was removed.
     *
     * @generated from field: bool success = 1;
     */
    success: boolean;
    /**
     * The upstream's message, if any.
     *
     * @generated from field: string message = 2;
     */
    message: string;
};
/**
 * Describes the message bosa.v1.RemoveIntegrationResponse.
 * Use `create(RemoveIntegrationResponseSchema)` to create a new message.
 */
export declare const RemoveIntegrationResponseSchema: GenMessage<RemoveIntegrationResponse>;
/**
 * IntegrationService manages a user's integrations: stored third-party
 * credentials (an OAuth2 grant, a database login) that connector actions use.
 * Every call needs `authorization: Bearer <user token>` metadata.
 *
 * A user may hold several integrations per connector, each named by a
 * user_identifier (a GitHub login, an e-mail, a database label); when any
 * exist, exactly one is selected and actions use it unless the call names
 * another with `x-bosa-integration` metadata.
 *
 * @generated from service bosa.v1.IntegrationService
 */
export declare const IntegrationService: GenService<{
    /**
     * CheckIntegration tells whether the user has any integration for the
     * connector.
     *
     * @generated from rpc bosa.v1.IntegrationService.CheckIntegration
     */
    checkIntegration: {
        methodKind: "unary";
        input: typeof CheckIntegrationRequestSchema;
        output: typeof CheckIntegrationResponseSchema;
    };
    /**
     * InitiateIntegration starts an OAuth2 integration: send the user's browser
     * to the returned URL; after consent the provider returns to the upstream,
     * which stores the integration and redirects to callback_url.
     *
     * @generated from rpc bosa.v1.IntegrationService.InitiateIntegration
     */
    initiateIntegration: {
        methodKind: "unary";
        input: typeof InitiateIntegrationRequestSchema;
        output: typeof InitiateIntegrationResponseSchema;
    };
    /**
     * ConfigureIntegration stores an integration with custom credentials, for
     * connectors that do not use OAuth2 (e.g. "sql").
     *
     * @generated from rpc bosa.v1.IntegrationService.ConfigureIntegration
     */
    configureIntegration: {
        methodKind: "unary";
        input: typeof ConfigureIntegrationRequestSchema;
        output: typeof ConfigureIntegrationResponseSchema;
    };
    /**
     * ListIntegrations lists the user's integrations, optionally of one connector.
     *
     * @generated from rpc bosa.v1.IntegrationService.ListIntegrations
     */
    listIntegrations: {
        methodKind: "unary";
        input: typeof ListIntegrationsRequestSchema;
        output: typeof ListIntegrationsResponseSchema;
    };
    /**
     * GetIntegration returns one integration. Its stored credential (auth_string)
     * is redacted unless the gateway runs with --expose-credentials.
     *
     * @generated from rpc bosa.v1.IntegrationService.GetIntegration
     */
    getIntegration: {
        methodKind: "unary";
        input: typeof GetIntegrationRequestSchema;
        output: typeof GetIntegrationResponseSchema;
    };
    /**
     * SelectIntegration makes one integration the connector's default.
     *
     * @generated from rpc bosa.v1.IntegrationService.SelectIntegration
     */
    selectIntegration: {
        methodKind: "unary";
        input: typeof SelectIntegrationRequestSchema;
        output: typeof SelectIntegrationResponseSchema;
    };
    /**
     * RemoveIntegration deletes one integration. When it was selected, the most
     * recently created remaining one becomes selected.
     *
     * @generated from rpc bosa.v1.IntegrationService.RemoveIntegration
     */
    removeIntegration: {
        methodKind: "unary";
        input: typeof RemoveIntegrationRequestSchema;
        output: typeof RemoveIntegrationResponseSchema;
    };
}>;
