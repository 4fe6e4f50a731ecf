import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file bosa/v1/connector.proto.
 */
export declare const file_bosa_v1_connector: GenFile;
/**
 * ListConnectorsRequest selects all connectors; it has no fields yet.
 *
 * @generated from message bosa.v1.ListConnectorsRequest
 */
export type ListConnectorsRequest = Message<"bosa.v1.ListConnectorsRequest"> & {};
/**
 * Describes the message bosa.v1.ListConnectorsRequest.
 * Use `create(ListConnectorsRequestSchema)` to create a new message.
 */
export declare const ListConnectorsRequestSchema: GenMessage<ListConnectorsRequest>;
/**
 * ListConnectorsResponse holds the connectors, sorted by name.
 *
 * @generated from message bosa.v1.ListConnectorsResponse
 */
export type ListConnectorsResponse = Message<"bosa.v1.ListConnectorsResponse"> & {
    /**
     * The connectors, sorted by name.
     *
     * @generated from field: repeated bosa.v1.Connector connectors = 1;
     */
    connectors: Connector[];
};
/**
 * Describes the message bosa.v1.ListConnectorsResponse.
 * Use `create(ListConnectorsResponseSchema)` to create a new message.
 */
export declare const ListConnectorsResponseSchema: GenMessage<ListConnectorsResponse>;
/**
 * GetConnectorRequest names one connector.
 *
 * @generated from message bosa.v1.GetConnectorRequest
 */
export type GetConnectorRequest = Message<"bosa.v1.GetConnectorRequest"> & {
    /**
     * Connector name, e.g. "github".
     *
     * @generated from field: string connector = 1;
     */
    connector: string;
};
/**
 * Describes the message bosa.v1.GetConnectorRequest.
 * Use `create(GetConnectorRequestSchema)` to create a new message.
 */
export declare const GetConnectorRequestSchema: GenMessage<GetConnectorRequest>;
/**
 * GetConnectorResponse holds the requested connector.
 *
 * @generated from message bosa.v1.GetConnectorResponse
 */
export type GetConnectorResponse = Message<"bosa.v1.GetConnectorResponse"> & {
    /**
     * The connector with its actions.
     *
     * @generated from field: bosa.v1.Connector connector = 1;
     */
    connector?: Connector | undefined;
};
/**
 * Describes the message bosa.v1.GetConnectorResponse.
 * Use `create(GetConnectorResponseSchema)` to create a new message.
 */
export declare const GetConnectorResponseSchema: GenMessage<GetConnectorResponse>;
/**
 * Connector is a BOSA plugin such as "github" or "google_drive".
 *
 * @generated from message bosa.v1.Connector
 */
export type Connector = Message<"bosa.v1.Connector"> & {
    /**
     * Connector name, used in every other call, e.g. "github".
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * The actions the connector exposes, sorted by name.
     *
     * @generated from field: repeated bosa.v1.Action actions = 2;
     */
    actions: Action[];
};
/**
 * Describes the message bosa.v1.Connector.
 * Use `create(ConnectorSchema)` to create a new message.
 */
export declare const ConnectorSchema: GenMessage<Connector>;
/**
 * Action is one operation of a connector, run with ActionService.
 *
 * @generated from message bosa.v1.Action
 */
export type Action = Message<"bosa.v1.Action"> & {
    /**
     * Action name, e.g. "list_pull_requests".
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * First line of the docstring.
     *
     * @generated from field: string summary = 2;
     */
    summary: string;
    /**
     * Full documentation of the action as published by the upstream.
     *
     * @generated from field: string docstring = 3;
     */
    docstring: string;
    /**
     * JSON Schema of the action's parameters (the object passed as
     * ExecuteActionRequest.input). Binary parameters have
     * {"type": "string", "format": "binary"} and travel as ExecuteActionRequest.files.
     *
     * @generated from field: google.protobuf.Struct parameters_schema = 4;
     */
    parametersSchema?: JsonObject | undefined;
    /**
     * Upstream HTTP method, for reference only; actions are "POST".
     *
     * @generated from field: string upstream_method = 5;
     */
    upstreamMethod: string;
    /**
     * Upstream HTTP path, e.g. "/connectors/github/list_pull_requests".
     *
     * @generated from field: string upstream_path = 6;
     */
    upstreamPath: string;
};
/**
 * Describes the message bosa.v1.Action.
 * Use `create(ActionSchema)` to create a new message.
 */
export declare const ActionSchema: GenMessage<Action>;
/**
 * ConnectorService describes the connectors the BOSA platform offers and the
 * actions each of them exposes. Discovery is public upstream: these calls need
 * no user token.
 *
 * @generated from service bosa.v1.ConnectorService
 */
export declare const ConnectorService: GenService<{
    /**
     * ListConnectors returns every connector with its actions.
     *
     * @generated from rpc bosa.v1.ConnectorService.ListConnectors
     */
    listConnectors: {
        methodKind: "unary";
        input: typeof ListConnectorsRequestSchema;
        output: typeof ListConnectorsResponseSchema;
    };
    /**
     * GetConnector returns one connector with its actions, their documentation and
     * the JSON Schema of their parameters. An unknown connector is NOT_FOUND.
     *
     * @generated from rpc bosa.v1.ConnectorService.GetConnector
     */
    getConnector: {
        methodKind: "unary";
        input: typeof GetConnectorRequestSchema;
        output: typeof GetConnectorResponseSchema;
    };
}>;
